using System.Diagnostics;

namespace Appliance.Nodes.Postgres;

/// <summary>
/// The driver's waits on PostgreSQL: a reload taking effect, walsenders re-reading a setting, a promotion ending. Each
/// asks again every <see cref="Interval"/> until the answer is yes or the time is up.
/// </summary>
internal static class Poll
{
    /// <summary>How often a condition is asked again: short, as every wait here is on the critical path of a failover.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(20);

    /// <summary>
    /// Awaits <paramref name="done"/> until it answers true; once <paramref name="timeout"/> has passed since the first
    /// call, throws what <paramref name="timedOut"/> makes instead of asking again.
    /// </summary>
    public static async Task UntilAsync(Func<Task<bool>> done, TimeSpan timeout, Func<Exception> timedOut, CancellationToken ct)
    {
        var started = Stopwatch.GetTimestamp();
        while (!await done().ConfigureAwait(false))
        {
            if (Stopwatch.GetElapsedTime(started) > timeout) throw timedOut();
            await Task.Delay(Interval, ct).ConfigureAwait(false);
        }
    }
}
