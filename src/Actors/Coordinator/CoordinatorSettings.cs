using Akka.Actor;
using Akka.Configuration;
using Appliance.Nodes.State;

namespace Appliance.Actors.Coordinator;

/// <summary>Everything a <see cref="ClusterStateCoordinator"/> is configured with.</summary>
/// <remarks>
/// The timings have no default of their own: <see cref="Default"/> and <see cref="FromConfig"/> read the
/// <c>appliance.coordinator</c> section over <c>src/Actors/reference.conf</c> (<see cref="ActorsConfig.Reference"/>),
/// which documents every value. Start from <see cref="Default"/> and change what a test needs with <c>with</c>.
/// </remarks>
public sealed record CoordinatorSettings
{
    /// <summary>The reference configuration's values (<c>appliance.coordinator</c> of <c>src/Actors/reference.conf</c>).</summary>
    public static CoordinatorSettings Default { get; } = FromConfig(Config.Empty);

    private CoordinatorSettings() { }

    /// <summary>The configured cluster mode, passed to the rules.</summary>
    public ClusterMode Mode { get; init; } = ClusterMode.Normal;

    /// <summary>The source of a standby cluster (<c>--standby-of</c>), passed to the rules' initial setup; null for a normal cluster.</summary>
    public StandbySource? StandbyOf { get; init; }

    /// <summary>What happens to deposed peers, passed to the rules.</summary>
    public RejoinPolicy Rejoin { get; init; } = RejoinPolicy.Auto;

    /// <summary>
    /// Instances are placed by sharding (peer ids <c>INSTANCE.HOST</c>): the rules reap a deposed incarnation whose
    /// instance runs again elsewhere.
    /// </summary>
    public bool ShardedPlacement { get; init; }

    /// <summary>
    /// How often the coordinator evaluates even when nothing was reported, expires report leases, and tells each node it
    /// knows the current state again: the primaries' lease heartbeat, so it must stay well below the nodes'
    /// coordinator lease.
    /// </summary>
    public TimeSpan EvaluationInterval { get; init; }

    /// <summary>
    /// How often the coordinator republishes the current state on the topic for its subscribers (pub-sub delivers at
    /// most once, so a subscriber that missed a state heals from the next republish). Nodes do not depend on it.
    /// </summary>
    public TimeSpan TopicRepublishInterval { get; init; }

    /// <summary>How long to wait for a node to raise a fence before treating it as unable to (PostgreSQL down).</summary>
    public TimeSpan ProbeTimeout { get; init; }

    /// <summary>A peer that has not reported for this long is absent (more than the nodes' coordinator lease plus their report interval).</summary>
    public TimeSpan ReportLease { get; init; }

    /// <summary>
    /// After it starts (cold start or hand-over), how long the coordinator waits for every Up database member to report
    /// once before it evaluates; it stops waiting as soon as all have.
    /// </summary>
    public TimeSpan StartupGrace { get; init; }

    /// <summary>
    /// How long the cluster must be quiet (no state written, no peer come or gone, no fence raised) before the
    /// coordinator moves the primary or sync off its own host (<see cref="CoordinatorHostRelief"/>); null never does.
    /// </summary>
    public TimeSpan? RelieveHostAfter { get; init; }

    /// <summary>
    /// How long the sync may report its PostgreSQL down while its node stays a member before the primary takes a
    /// running async as its sync (<see cref="ClusterObservation.ReplaceDownSyncAfter"/>); null never.
    /// </summary>
    public TimeSpan? ReplaceDownSyncAfter { get; init; }

    /// <summary>
    /// How long the lost primary and sync must have been gone before an operator's forced failover
    /// (<see cref="ClusterObservation.ForcedFailoverHoldDown"/>): well past a primary's coordinator lease (1.5 s), so that
    /// a primary cut off together with its sync has fenced itself before another peer is promoted.
    /// </summary>
    public TimeSpan ForcedFailoverHoldDown { get; init; }

    /// <summary>Save a snapshot of the state every this many events; 0 never.</summary>
    public int SnapshotEvery { get; init; }

    /// <summary>Where presence comes from: cluster members (production) or report leases only (tests).</summary>
    internal MembershipSource Membership { get; init; } = MembershipSource.ClusterMembers;

    /// <summary>The pub-sub mediator to publish on; null for the cluster's <c>DistributedPubSub</c> mediator.</summary>
    public IActorRef? PubSubMediator { get; init; }

    /// <summary>Where the coordinator records its histograms (the node's registry); null for a set exported nowhere.</summary>
    public CoordinatorMetrics? Metrics { get; init; }

    /// <summary>The clock for <see cref="ClusterObservation.Now"/>, report leases and event timestamps.</summary>
    public Func<DateTimeOffset> Clock { get; init; } = () => DateTimeOffset.UtcNow;

    /// <summary>The read journal that answers <c>GetHistory</c>.</summary>
    public string QueryPluginId { get; init; } = StateStoreOptions.QueryPluginId;

    /// <summary>Reads the <c>appliance.coordinator</c> section over the reference configuration (mode and rejoin come from the node's options).</summary>
    /// <param name="config">A config holding <c>appliance.coordinator</c>; a missing key keeps the reference value.</param>
    public static CoordinatorSettings FromConfig(Config config)
    {
        var section = ActorsConfig.Section(config, "appliance.coordinator");
        return new CoordinatorSettings
        {
            EvaluationInterval = section.GetTimeSpan("evaluation-interval"),
            TopicRepublishInterval = section.GetTimeSpan("topic-republish-interval"),
            ProbeTimeout = section.GetTimeSpan("probe-timeout"),
            ReportLease = section.GetTimeSpan("report-lease"),
            StartupGrace = section.GetTimeSpan("startup-grace"),
            SnapshotEvery = section.GetInt("snapshot-every"),
            RelieveHostAfter = OptionalTimeSpan(section, "relieve-host-after"),
            ReplaceDownSyncAfter = OptionalTimeSpan(section, "replace-down-sync-after"),
            ForcedFailoverHoldDown = section.GetTimeSpan("forced-failover-hold-down"),
        };
    }

    /// <summary>A duration that <c>off</c> (or <c>false</c>) turns into null.</summary>
    private static TimeSpan? OptionalTimeSpan(Config section, string key) =>
        section.GetString(key) is "off" or "false" ? null : section.GetTimeSpan(key);

    /// <summary>Throws if a value cannot work, naming it.</summary>
    /// <exception cref="ArgumentException">A non-positive interval or a negative snapshot interval.</exception>
    public CoordinatorSettings EnsureValid()
    {
        Positive(EvaluationInterval, nameof(EvaluationInterval));
        Positive(TopicRepublishInterval, nameof(TopicRepublishInterval));
        Positive(ProbeTimeout, nameof(ProbeTimeout));
        Positive(ReportLease, nameof(ReportLease));
        if (RelieveHostAfter is { } relieve) Positive(relieve, nameof(RelieveHostAfter));
        if (ReplaceDownSyncAfter is { } replace) Positive(replace, nameof(ReplaceDownSyncAfter));
        if (SnapshotEvery < 0) throw new ArgumentException($"{nameof(SnapshotEvery)} is {SnapshotEvery}; use 0 (never) or more.");
        return this;
    }

    private static void Positive(TimeSpan value, string name)
    {
        if (value <= TimeSpan.Zero) throw new ArgumentException($"{name} is {value}; it must be positive.");
    }
}
