using Akka.Actor;
using Akka.Configuration;
using Appliance.Nodes.State;

namespace Appliance.Actors.Coordinator;

/// <summary>Everything a <see cref="ClusterStateCoordinator"/> is configured with.</summary>
/// <remarks>
/// The defaults are the production values that <c>hocon/coordinator.conf</c> documents; <see cref="FromConfig"/>
/// reads them from the <c>appliance.coordinator</c> section.
/// </remarks>
public sealed record CoordinatorSettings
{
    /// <summary>The configured cluster mode, passed to the rules.</summary>
    public ClusterMode Mode { get; init; } = ClusterMode.Normal;

    /// <summary>What happens to deposed peers, passed to the rules.</summary>
    public RejoinPolicy Rejoin { get; init; } = RejoinPolicy.Auto;

    /// <summary>
    /// Instances are placed by sharding (peer ids <c>INSTANCE.HOST</c>): the rules reap a deposed incarnation whose
    /// instance runs again elsewhere.
    /// </summary>
    public bool ShardedPlacement { get; init; }

    /// <summary>
    /// How often the coordinator evaluates even when nothing was reported, expires report leases, and republishes the
    /// current state (pub-sub delivers at most once, so receivers heal from the next republish).
    /// </summary>
    public TimeSpan EvaluationInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>How long to wait for a node to raise a fence before treating it as unable to (PostgreSQL down).</summary>
    public TimeSpan ProbeTimeout { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>A peer that has not reported for this long is absent (3 × the nodes' 1 s report interval).</summary>
    public TimeSpan ReportLease { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>
    /// After it starts (cold start or hand-over), how long the coordinator waits for every Up database member to report
    /// once before it evaluates; it stops waiting as soon as all have.
    /// </summary>
    public TimeSpan StartupGrace { get; init; } = TimeSpan.FromMilliseconds(2500);

    /// <summary>
    /// How long the cluster must be quiet (no state written, no peer come or gone, no fence raised) before the
    /// coordinator moves the primary or sync off its own host (<see cref="CoordinatorHostRelief"/>); null never does.
    /// </summary>
    public TimeSpan? RelieveHostAfter { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// How long the sync may report its PostgreSQL down while its node stays a member before the primary takes a
    /// running async as its sync (<see cref="ClusterObservation.ReplaceDownSyncAfter"/>); null never.
    /// </summary>
    public TimeSpan? ReplaceDownSyncAfter { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long the lost primary and sync must have been gone before an operator's forced failover
    /// (<see cref="ClusterObservation.ForcedFailoverHoldDown"/>): well past a primary's coordinator lease (1.5 s), so that
    /// a primary cut off together with its sync has fenced itself before another peer is promoted.
    /// </summary>
    public TimeSpan ForcedFailoverHoldDown { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Save a snapshot of the state every this many events; 0 never.</summary>
    public int SnapshotEvery { get; init; } = 100;

    /// <summary>Where presence comes from: cluster members (production) or report leases only (tests).</summary>
    public MembershipSource Membership { get; init; } = MembershipSource.ClusterMembers;

    /// <summary>The pub-sub mediator to publish on; null for the cluster's <c>DistributedPubSub</c> mediator.</summary>
    public IActorRef? PubSubMediator { get; init; }

    /// <summary>The clock for <see cref="ClusterObservation.Now"/>, report leases and event timestamps.</summary>
    public Func<DateTimeOffset> Clock { get; init; } = () => DateTimeOffset.UtcNow;

    /// <summary>The read journal that answers <c>GetHistory</c>.</summary>
    public string QueryPluginId { get; init; } = StateStoreOptions.QueryPluginId;

    /// <summary>Reads the <c>appliance.coordinator</c> section over these defaults (mode and rejoin come from the node's options).</summary>
    /// <param name="config">A config holding <c>appliance.coordinator</c>; missing keys keep the defaults.</param>
    public static CoordinatorSettings FromConfig(Config config)
    {
        var defaults = new CoordinatorSettings();
        var section = config.GetConfig("appliance.coordinator");
        if (section is null || section.IsEmpty) return defaults;
        return defaults with
        {
            EvaluationInterval = section.GetTimeSpan("evaluation-interval", defaults.EvaluationInterval),
            ProbeTimeout = section.GetTimeSpan("probe-timeout", defaults.ProbeTimeout),
            ReportLease = section.GetTimeSpan("report-lease", defaults.ReportLease),
            StartupGrace = section.GetTimeSpan("startup-grace", defaults.StartupGrace),
            SnapshotEvery = section.GetInt("snapshot-every", defaults.SnapshotEvery),
            RelieveHostAfter = OptionalTimeSpan(section, "relieve-host-after", defaults.RelieveHostAfter),
            ReplaceDownSyncAfter = OptionalTimeSpan(section, "replace-down-sync-after", defaults.ReplaceDownSyncAfter),
            ForcedFailoverHoldDown = section.GetTimeSpan("forced-failover-hold-down", defaults.ForcedFailoverHoldDown),
        };
    }

    /// <summary>A duration that <c>off</c> (or <c>false</c>) turns into null.</summary>
    private static TimeSpan? OptionalTimeSpan(Config section, string key, TimeSpan? fallback)
    {
        if (!section.HasPath(key)) return fallback;
        return section.GetString(key) is "off" or "false" ? null : section.GetTimeSpan(key, fallback);
    }

    /// <summary>Throws if a value cannot work, naming it.</summary>
    /// <exception cref="ArgumentException">A non-positive interval or a negative snapshot interval.</exception>
    public CoordinatorSettings EnsureValid()
    {
        Positive(EvaluationInterval, nameof(EvaluationInterval));
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
