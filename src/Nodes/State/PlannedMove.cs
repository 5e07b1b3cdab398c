namespace Appliance.Nodes.State;

/// <summary>
/// What a planned move (the coordinator's host relief, a scheduled switchover) asks of the peers it involves, so that
/// it never starts a change, or raises a fence, that would stall writes waiting for a lagging standby.
/// </summary>
internal static class PlannedMove
{
    /// <summary>How far (bytes of WAL, by their last reports) a standby may trail the primary and still take its role in a planned move.</summary>
    public const ulong MaxLagBytes = 16 * 1024 * 1024;

    /// <summary>Why <paramref name="peer"/> cannot take a role in a planned move now, or null if it can.</summary>
    /// <param name="ctx">The evaluation.</param>
    /// <param name="peer">The peer that would move up.</param>
    /// <param name="primary">The primary's last report (PostgreSQL running).</param>
    public static string? NotClose(RuleContext ctx, PeerId peer, PeerReport primary)
    {
        var state = ctx.State;
        if (!ctx.IsPresent(peer)) return $"{peer.Id} is not a member";
        if (ctx.Observation.ReportOf(peer.Id) is not { PostgresUp: true } report)
            return $"{peer.Id} does not report its PostgreSQL running";
        if (report.Wal < state.InitWal) return $"{peer.Id} reports WAL at {report.Wal}, short of initWal {state.InitWal}";
        if (ctx.NotOnPrimaryHistory(peer) is { } off) return off;
        var lag = primary.Wal - report.Wal;
        return lag > MaxLagBytes ? $"{peer.Id} trails the primary by {lag} bytes of WAL (at most {MaxLagBytes} allowed)" : null;
    }
}
