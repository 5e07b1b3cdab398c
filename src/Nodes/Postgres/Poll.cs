using System.Diagnostics;

namespace Appliance.Nodes.Postgres;

/// <summary>
/// The driver's waits: a reload taking effect, walsenders re-reading a setting, a promotion ending, a leftover process
/// exiting. Each asks again every <see cref="Interval"/> (or the interval given) until the answer is yes or the time is up.
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
        if (!await WithinAsync(done, timeout, Interval, ct).ConfigureAwait(false)) throw timedOut();
    }

    /// <summary>
    /// Asks <paramref name="done"/> every <paramref name="interval"/> until it answers true (returns true) or
    /// <paramref name="timeout"/> has passed since it began (returns false), for a caller that acts on the time
    /// running out, such as escalating a signal.
    /// </summary>
    public static async Task<bool> WithinAsync(Func<Task<bool>> done, TimeSpan timeout, TimeSpan interval, CancellationToken ct)
    {
        var started = Stopwatch.GetTimestamp();
        while (!await done().ConfigureAwait(false))
        {
            if (Stopwatch.GetElapsedTime(started) > timeout) return false;
            await Task.Delay(interval, ct).ConfigureAwait(false);
        }
        return true;
    }
}
