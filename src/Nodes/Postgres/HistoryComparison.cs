using Appliance.Nodes.State;

namespace Appliance.Nodes.Postgres;

/// <summary>A stopped instance's WAL against an upstream's history.</summary>
/// <param name="Local">Where the instance's WAL ends, and on which history.</param>
/// <param name="Upstream">The upstream's history.</param>
/// <param name="UpstreamPosition">The upstream's position.</param>
internal sealed record HistoryComparison(LocalWal Local, TimelineHistory Upstream, Lsn UpstreamPosition)
{
    /// <summary>Where the two histories part (<see cref="TimelineHistory.Unbounded"/> on the same timeline).</summary>
    public Lsn ForkPoint => Upstream.ForkPoint(Local.History);

    /// <summary>The instance holds WAL the upstream's history does not: it must be rewound before it can follow.</summary>
    public bool Forked => !Upstream.Holds(Local.History, Local.Position);

    /// <summary>
    /// Same timeline, and the upstream has not reached the instance's end: for a former primary, its successor has not
    /// promoted yet, and may still promote below that end.
    /// </summary>
    public bool UpstreamBehind => ForkPoint == TimelineHistory.Unbounded && UpstreamPosition < Local.Position;

    /// <summary>For logs: both histories and where they part.</summary>
    public override string ToString() =>
        $"upstream's history {Upstream} forked off this instance's {Local.History} at {(ForkPoint == TimelineHistory.Unbounded ? "-" : ForkPoint.ToString())}, " +
        $"its position {Local.Position}";
}
