using Appliance.Actors.Protocol;
using Appliance.Nodes.State;

namespace Appliance.Actors.Coordinator;

/// <summary>
/// Measures a change of primary from the coordinator's side: the coordinator knows when writes stopped (it last heard
/// of the lost primary, or it raised the fence that stops the sync receiving), and learns when they resume from the
/// new primary's own status report, which its node sends on every change (and at least every report interval). One
/// change is watched at a time; a later generation written before the new primary reported drops it, since the
/// gap it measured no longer ends where it began.
/// </summary>
internal sealed class WriteGapWatch
{
    private Expected? _expected;

    private sealed record Expected(WriteOutageKind Kind, string PrimaryId, long Version, long Generation, DateTimeOffset Since, WriteOutageStart From);

    /// <summary>True while a change waits for its new primary's report.</summary>
    public bool Waiting => _expected is not null;

    /// <summary>A state was written. If it moved the primary (<paramref name="kind"/> not null), waits for the new primary from <paramref name="since"/>.</summary>
    /// <param name="state">The state written.</param>
    /// <param name="kind">Failover or switchover if this write moved the primary, else null.</param>
    /// <param name="since">When writes stopped; used only with a kind.</param>
    /// <param name="from">What <paramref name="since"/> is taken from; used only with a kind.</param>
    public void Written(ClusterState state, WriteOutageKind? kind, DateTimeOffset since, WriteOutageStart from = WriteOutageStart.StateWritten)
    {
        if (kind is { } k)
            _expected = new Expected(k, state.Primary.Id, state.Version, state.Generation, since, from);
        else if (_expected is { } e && state.Generation != e.Generation)
            _expected = null;
    }

    /// <summary>A node reported: the outage if this is the awaited primary taking writes on the watched state or a later one.</summary>
    /// <param name="report">The report.</param>
    /// <param name="now">When it arrived.</param>
    public WriteOutageProtocol.Measured? Reported(NodeProtocol.StatusReport report, DateTimeOffset now)
    {
        if (_expected is not { } e || report.Peer.Id != e.PrimaryId || !report.ReadWrite || report.AppliedVersion < e.Version) return null;
        _expected = null;
        return new WriteOutageProtocol.Measured(e.Version, e.Kind, e.Since, now < e.Since ? e.Since : now, e.From);
    }

    /// <summary>
    /// The kind of outage a write makes, or null when it did not move the primary: a sync's takeover is a failover;
    /// an operator's switchover and a move off the coordinator's host are switchovers.
    /// </summary>
    /// <param name="before">The state before the write (null for the first).</param>
    /// <param name="recorded">The write.</param>
    public static WriteOutageKind? KindOf(ClusterState? before, ClusterStateProtocol.StateRecorded recorded) =>
        before is null || before.Primary.Id == recorded.State.Primary.Id ? null : recorded.Reason switch
        {
            TransitionReason.SyncTakeover => WriteOutageKind.Failover,
            TransitionReason.Switchover or TransitionReason.CoordinatorHostRelieved => WriteOutageKind.Switchover,
            _ => null,
        };
}
