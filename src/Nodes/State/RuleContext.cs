using System.Collections.Immutable;

namespace Appliance.Nodes.State;

/// <summary>The state and observation of one evaluation, with the questions every rule asks of them.</summary>
internal sealed class RuleContext(ClusterState state, ClusterObservation observation)
{
    public ClusterState State { get; } = state;

    public ClusterObservation Observation { get; } = observation;

    public bool IsPresent(PeerId peer) => Observation.IsPresent(peer.Id);

    /// <summary>The async chain without its absent members, order kept.</summary>
    public ImmutableArray<PeerId> PresentAsyncs => [.. State.Async.Where(IsPresent)];

    /// <summary>Members the state does not name at all (deposed peers are named, so they never come back this way).</summary>
    /// <remarks>In placement mode, incarnations of instances above the scaled size (<see cref="ClusterState.Instances"/>) are no newcomers: they are being removed.</remarks>
    public ImmutableArray<PeerId> Newcomers => [.. Observation.Members.Where(m => !State.Names(m.Id) && WithinSize(m))];

    /// <summary>False for an incarnation of an instance above the scaled size (placement mode only).</summary>
    public bool WithinSize(PeerId peer) =>
        !Observation.ReapReplacedIncarnations || State.Instances is not { } size
        || InstanceIds.NumberOf(InstanceIds.InstanceOf(peer.Id)) is not { } n || n <= size;

    /// <summary>
    /// Who may become the new sync, best first: present asyncs whose PostgreSQL runs, in chain order (async[0] is
    /// closest to the sync's WAL); then unassigned newcomers in join order (they clone, and the primary stays
    /// read-only until they catch up); then present asyncs that reported PostgreSQL down.
    /// </summary>
    /// <remarks>A peer whose report shows it forked off the primary's history is no candidate: it could not stream
    /// until rewound, so the primary would wait on it. Nor is a peer tagged <see cref="PeerTags.NoFailover"/>.</remarks>
    public ImmutableArray<PeerId> SyncCandidates(params string[] excluded)
    {
        var asyncs = PresentAsyncs.Where(a => !excluded.Contains(a.Id) && StandingOf(a) != HistoryStanding.Forked && MayLead(a)).ToList();
        var healthy = asyncs.Where(a => Observation.IsHealthy(a.Id));
        var ailing = asyncs.Where(a => !Observation.IsHealthy(a.Id));
        var newcomers = Newcomers.Where(n => !excluded.Contains(n.Id) && StandingOf(n) != HistoryStanding.Forked && MayLead(n));
        return [.. healthy.Concat(newcomers).Concat(ailing)];
    }

    /// <summary>False for a peer tagged <see cref="PeerTags.NoFailover"/>: it never becomes the sync or the primary.</summary>
    public bool MayLead(PeerId peer) => Observation.MayLead(peer.Id);

    /// <summary>The present asyncs after <paramref name="newSync"/> leaves the chain to become sync.</summary>
    public ImmutableArray<PeerId> AsyncsWithout(PeerId newSync) => [.. PresentAsyncs.Where(a => !a.Is(newSync))];

    /// <summary>Whether the peer cannot act now: it is not a member, or it reported its PostgreSQL down.</summary>
    public bool IsDown(PeerId peer) => !IsPresent(peer) || Observation.ReportOf(peer.Id)?.PostgresUp == false;

    /// <summary>The position <paramref name="peer"/> reported behind exactly <paramref name="fence"/>, if any.</summary>
    public FencedPosition? FencedPosition(PeerId peer, WalFence fence) =>
        Observation.FencedPositions.TryGetValue(peer.Id, out var read) && read.Fence == fence ? read : null;

    /// <summary>
    /// Where <paramref name="peer"/>'s WAL stands against the primary's history, by both last reports: on it (it can
    /// stream from the chain and holds only the primary's WAL), forked off it below its position (it must rewind
    /// first: PostgreSQL refuses to stream it), or unknown (either report lacks a history).
    /// </summary>
    public HistoryStanding StandingOf(PeerId peer)
    {
        if (State.Primary.Is(peer)) return HistoryStanding.OnHistory;
        if (Observation.ReportOf(State.Primary.Id)?.History is not { } primary
            || Observation.ReportOf(peer.Id) is not { History: { } own } report)
            return HistoryStanding.Unknown;
        return primary.Holds(own, report.Wal) ? HistoryStanding.OnHistory : HistoryStanding.Forked;
    }

    /// <summary>Why <paramref name="peer"/> may not move up the chain now, by its history, or null if it may.</summary>
    public string? NotOnPrimaryHistory(PeerId peer) => StandingOf(peer) switch
    {
        HistoryStanding.OnHistory => null,
        HistoryStanding.Forked =>
            $"{peer.Id} is at {Observation.ReportOf(peer.Id)!.Wal} on {Observation.ReportOf(peer.Id)!.History}, which forked off primary {State.Primary.Id}'s history ({Observation.ReportOf(State.Primary.Id)!.History}) below that position; it must rewind first",
        _ => $"{peer.Id}'s timeline history is not known yet (its last report, or the primary's, has none)",
    };

    /// <summary>The state as the next write: same content, version + 1.</summary>
    public ClusterState Next() => State with { Version = State.Version + 1 };

    /// <summary>The state as the first write of a new generation.</summary>
    public ClusterState NextGeneration() => State with { Version = State.Version + 1, Generation = State.Generation + 1 };

    /// <summary>
    /// The state as the first write of the generation that promotes a peer now on <paramref name="candidate"/>'s
    /// timeline: the next generation, or one past that timeline when it is ahead.
    /// </summary>
    /// <remarks>
    /// The promotion starts the generation's own timeline (<see cref="PromotionTimeline"/>), which needs the generation
    /// past the candidate's timeline. Only a cluster bootstrapped from a backup starts behind: generation 1 runs on the
    /// restore's timeline, past 1. Its first promotion then jumps the generation past it, and from there every promotion
    /// starts the timeline numbered as its generation, which no other promotion can have.
    /// </remarks>
    public ClusterState PromotionGeneration(TimelineHistory candidate) =>
        State with { Version = State.Version + 1, Generation = Math.Max(State.Generation + 1, candidate.Timeline + 1L) };

    public static string Ids(IEnumerable<PeerId> peers)
    {
        var ids = peers.Select(p => p.Id).ToList();
        return ids.Count == 0 ? "none" : string.Join(", ", ids);
    }
}
