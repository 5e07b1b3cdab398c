using Appliance.Nodes.State;

namespace Appliance.Nodes.Postgres;

/// <summary>
/// Waits until a downstream has flushed everything its upstream sent (<c>sent_lsn = flush_lsn</c>, streaming).
/// Gives up only when the downstream makes no progress for a whole timeout: the clock restarts every time its
/// flush position advances, so a large but moving backlog never times out.
/// </summary>
internal static class ReplicationCatchUpWaiter
{
    /// <summary>How often pg_stat_replication is read.</summary>
    public static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(100);

    /// <summary>Waits for <paramref name="downstream"/> to catch up with the instance <paramref name="upstream"/> reads.</summary>
    /// <returns>The caught-up row.</returns>
    /// <exception cref="SyncNotCaughtUpException">No flush progress (or no connection) for <paramref name="progressTimeout"/>.</exception>
    public static async Task<DownstreamStatus> WaitAsync(InstanceProbe upstream, PeerId downstream, TimeSpan progressTimeout,
        CancellationToken ct, TimeProvider? clock = null)
    {
        clock ??= TimeProvider.System;
        var lastProgress = clock.GetUtcNow();
        Lsn? lastFlush = null;
        while (true)
        {
            var row = await upstream.ReadDownstreamAsync(downstream.Id, ct).ConfigureAwait(false);
            if (row is { CaughtUp: true }) return row;

            var now = clock.GetUtcNow();
            if (row?.FlushLsn is { } flush && (lastFlush is null || flush > lastFlush))
            {
                lastFlush = flush;
                lastProgress = now;
            }
            if (now - lastProgress > progressTimeout)
                throw new SyncNotCaughtUpException(downstream, progressTimeout,
                    lastFlush is null ? "has not connected and streamed" : $"made no flush progress past {lastFlush}");
            await Task.Delay(PollInterval, clock, ct).ConfigureAwait(false);
        }
    }
}
