using System.Collections.Immutable;

namespace Appliance.Nodes.State;

/// <summary>Everything the coordinator knows when it evaluates the rules.</summary>
public sealed record ClusterObservation
{
    /// <summary>Database peers that are cluster members, in the order they joined.</summary>
    public ImmutableArray<PeerId> Members { get; init; } = [];

    /// <summary>Each member's last status report, by peer id. A member with no report yet is treated as unknown.</summary>
    public ImmutableDictionary<string, PeerReport> Reports { get; init; } = ImmutableDictionary<string, PeerReport>.Empty;

    /// <summary>
    /// WAL positions read from the peers at decision time behind a <see cref="WalFence"/>, by peer id. A generation
    /// change needs the fenced position of the peer that becomes (or stays) primary; a report never suffices.
    /// </summary>
    public ImmutableDictionary<string, FencedPosition> FencedPositions { get; init; } = ImmutableDictionary<string, FencedPosition>.Empty;

    /// <summary>The configured mode.</summary>
    public ClusterMode Mode { get; init; } = ClusterMode.Normal;

    /// <summary>
    /// The configured source of a standby cluster (<c>--standby-of</c>), which initial setup records in the first state;
    /// null for a normal cluster. Only the first state takes it: later states keep theirs.
    /// </summary>
    public StandbySource? StandbyOf { get; init; }

    /// <summary>The configured policy for deposed peers.</summary>
    public RejoinPolicy Rejoin { get; init; } = RejoinPolicy.Auto;

    /// <summary>
    /// Placement by sharding: peer ids are <c>INSTANCE.HOST</c>, and a deposed incarnation that is gone while its
    /// instance runs elsewhere is reaped by the rules (<see cref="TransitionReason.IncarnationReplaced"/>).
    /// </summary>
    public bool ReapReplacedIncarnations { get; init; }

    /// <summary>
    /// The coordinator's own host: which peers run there, and whether the cluster is settled enough to move the
    /// primary or sync off it (<see cref="CoordinatorHostRelief"/>). Null when unknown or when that move is turned
    /// off; the rules then never make it.
    /// </summary>
    public CoordinatorHost? Coordinator { get; init; }

    /// <summary>
    /// Since when each present peer has reported its PostgreSQL down without a break, by peer id. A peer missing here
    /// reported it running, or has not reported.
    /// </summary>
    public ImmutableDictionary<string, DateTimeOffset> PostgresDownSince { get; init; } = ImmutableDictionary<string, DateTimeOffset>.Empty;

    /// <summary>
    /// How long the sync may report its PostgreSQL down, while its node stays a member, before the primary takes a
    /// running async as its sync instead (<see cref="SyncReplacement.WhenSyncDown"/>); null never.
    /// </summary>
    public TimeSpan? ReplaceDownSyncAfter { get; init; }

    /// <summary>
    /// The last report and when it came, of every peer the coordinator heard from that is no longer present (for a peer
    /// it never heard from, the time it started observing). A forced failover records the positions it gives up from here.
    /// </summary>
    public ImmutableDictionary<string, LastSeen> Absent { get; init; } = ImmutableDictionary<string, LastSeen>.Empty;

    /// <summary>
    /// How long the lost primary and sync must have been gone before a forced failover: longer than a primary's
    /// coordinator lease, so that a primary cut off with its sync has fenced itself and acknowledges nothing more.
    /// </summary>
    public TimeSpan ForcedFailoverHoldDown { get; init; }

    /// <summary>An operator command to decide on, if any.</summary>
    public OperatorCommand? Command { get; init; }

    /// <summary>The identity a cluster set up by this evaluation gets (<see cref="ClusterState.ClusterId"/>); drawn by the coordinator.</summary>
    public string? NewClusterId { get; init; }

    /// <summary>The time to stamp on a new freeze.</summary>
    public DateTimeOffset Now { get; init; }

    /// <summary>False if the peer's last report carries <see cref="PeerTags.NoFailover"/>.</summary>
    public bool MayLead(string peerId) => ReportOf(peerId)?.Tags.HasFlag(PeerTags.NoFailover) != true;

    /// <summary>The observation without <paramref name="peers"/>: the rules then treat them as gone.</summary>
    public ClusterObservation Without(IReadOnlyCollection<string> peers) => peers.Count == 0 ? this : this with
    {
        Members = [.. Members.Where(m => !peers.Contains(m.Id))],
        Reports = Reports.RemoveRange(peers),
        FencedPositions = FencedPositions.RemoveRange(peers),
        PostgresDownSince = PostgresDownSince.RemoveRange(peers),
    };

    /// <summary>True if <paramref name="peerId"/> is a member.</summary>
    public bool IsPresent(string peerId) => Members.Any(m => m.Is(peerId));

    /// <summary>The report of <paramref name="peerId"/>, if it has sent one.</summary>
    public PeerReport? ReportOf(string peerId) => Reports.GetValueOrDefault(peerId);

    /// <summary>
    /// True if the peer's last report says its PostgreSQL runs. Stricter than <see cref="IsHealthy"/>: a peer that has
    /// not reported does not count, as a planned change must not wait on a peer that may still be cloning.
    /// </summary>
    public bool ReportsRunning(string peerId) => ReportOf(peerId) is { PostgresUp: true };

    /// <summary>
    /// True if the peer is a member and has not reported its PostgreSQL down. A peer that has not reported yet counts
    /// as healthy, so that a fresh member is not passed over for want of a first report.
    /// </summary>
    public bool IsHealthy(string peerId) => IsPresent(peerId) && ReportOf(peerId)?.PostgresUp != false;
}
