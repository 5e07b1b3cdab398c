using Appliance.Actors.Protocol;
using Appliance.Nodes.State;

namespace Appliance.Actors.Coordinator;

/// <summary>Why writes stopped: the primary was lost, or the primary was moved on purpose.</summary>
public enum WriteGapKind
{
    /// <summary>The sync took over from a lost primary.</summary>
    Failover,

    /// <summary>A planned switchover (an operator's, or a move off the coordinator's host).</summary>
    Switchover,
}

/// <summary>A gap in writes that ended: its kind and length.</summary>
/// <param name="Kind">Failover or switchover.</param>
/// <param name="Length">From when writes stopped until the new primary's node reported it takes them.</param>
public sealed record WriteGap(WriteGapKind Kind, TimeSpan Length);

/// <summary>
/// Measures a change of primary from the coordinator's side: the coordinator knows when writes stopped (it last heard
/// of the lost primary, or it raised the fence that stops the sync receiving), and learns when they resume from the
/// new primary's own status report, which its node sends on every change (and at least every report interval). One
/// change is watched at a time; a later generation written before the new primary reported drops it, since the
/// gap it measured no longer ends where it began.
/// </summary>
public sealed class WriteGapWatch
{
    private Expected? _expected;

    private sealed record Expected(WriteGapKind Kind, string PrimaryId, long Version, long Generation, DateTimeOffset Since);

    /// <summary>True while a change waits for its new primary's report.</summary>
    public bool Waiting => _expected is not null;

    /// <summary>A state was written. If it moved the primary (<paramref name="kind"/> not null), waits for the new primary from <paramref name="since"/>.</summary>
    /// <param name="state">The state written.</param>
    /// <param name="kind">Failover or switchover if this write moved the primary, else null.</param>
    /// <param name="since">When writes stopped; used only with a kind.</param>
    public void Written(ClusterState state, WriteGapKind? kind, DateTimeOffset since)
    {
        if (kind is { } k)
            _expected = new Expected(k, state.Primary.Id, state.Version, state.Generation, since);
        else if (_expected is { } e && state.Generation != e.Generation)
            _expected = null;
    }

    /// <summary>A node reported: the gap if this is the awaited primary taking writes on the watched state or a later one.</summary>
    /// <param name="report">The report.</param>
    /// <param name="now">When it arrived.</param>
    public WriteGap? Reported(NodeProtocol.StatusReport report, DateTimeOffset now)
    {
        if (_expected is not { } e || report.Peer.Id != e.PrimaryId || !report.ReadWrite || report.AppliedVersion < e.Version) return null;
        _expected = null;
        var length = now - e.Since;
        return new WriteGap(e.Kind, length < TimeSpan.Zero ? TimeSpan.Zero : length);
    }
}
