using Appliance.Nodes.Postgres;
using Appliance.Nodes.State;

namespace Appliance.Actors.Instance;

/// <summary>
/// The one PostgreSQL instance a node actor (<c>DatabaseNodeActor</c>) supervises, as the actors see it: every operation
/// is asynchronous, cancellable and safe to call from a task piped back to an actor.
/// </summary>
/// <remarks>Production uses <see cref="PostgresDatabaseInstance"/> over the driver in <c>src/Nodes/Postgres</c>.</remarks>
public interface IDatabaseInstance
{
    /// <summary>The peer this instance is.</summary>
    PeerId Peer { get; }

    /// <summary>True if the data directory holds a PostgreSQL cluster.</summary>
    bool HasData { get; }

    /// <summary>True if the data directory holds a cluster that was last a primary (no <c>standby.signal</c>).</summary>
    bool WasPrimary { get; }

    /// <summary>True while the postmaster runs.</summary>
    bool IsRunning { get; }

    /// <summary>The postmaster's process id, if it runs.</summary>
    int? PostmasterPid { get; }

    /// <summary>Completes when the running postmaster exits, requested or not; null if none runs.</summary>
    Task<PostmasterExit>? Exited { get; }

    /// <summary>Creates the cluster's database (initdb) in an empty data directory.</summary>
    Task InitializeAsync(CancellationToken ct);

    /// <summary>
    /// Runs as a read-only primary naming <paramref name="sync"/>, or, with null, a writable singleton primary. A
    /// promotion starts the timeline <see cref="PromotionTimeline.For"/> gives for <paramref name="generation"/>.
    /// </summary>
    /// <returns>The timeline a promotion started, or null when it did not promote.</returns>
    Task<int?> StartPrimaryAsync(PeerId? sync, long generation, CancellationToken ct);

    /// <summary>Waits for <paramref name="sync"/> to catch up, then takes writes.</summary>
    Task EnableWritesWhenSyncCaughtUpAsync(PeerId sync, TimeSpan progressTimeout, CancellationToken ct);

    /// <summary>
    /// Runs as a standby of <paramref name="upstream"/>, cloning an empty data directory first, and rewinding one whose
    /// WAL goes past where the upstream's history forked off its own.
    /// </summary>
    /// <returns>How it was rewound, when it had to be; otherwise null.</returns>
    Task<RejoinOutcome?> FollowAsync(PeerId upstream, PeerId? downstream, IProgress<BaseBackupProgress>? progress, CancellationToken ct);

    /// <summary>
    /// Runs as the leader of a standby cluster: a standby of <paramref name="source"/>'s primary, cloning an empty data
    /// directory from it first. Instances that cannot (test doubles) refuse.
    /// </summary>
    Task FollowSourceAsync(StandbySource source, PeerId? downstream, IProgress<BaseBackupProgress>? progress, CancellationToken ct) =>
        throw new NotSupportedException($"{GetType().Name} cannot lead a standby cluster.");

    /// <summary>
    /// A running standby's stall check (<see cref="StandbyStall"/>): its own progress and, when it does not stream, what
    /// <paramref name="upstream"/> still holds of its WAL. Null when its own PostgreSQL does not answer.
    /// </summary>
    Task<StallReading?> ReadStallAsync(PeerId upstream, CancellationToken ct);

    /// <summary>
    /// A running standby leader's stall check: its own progress and, when it does not stream, what the primary of
    /// <paramref name="source"/> still holds of its WAL. Null when its own PostgreSQL does not answer.
    /// </summary>
    Task<SourceStallReading?> ReadSourceStallAsync(StandbySource source, CancellationToken ct) =>
        throw new NotSupportedException($"{GetType().Name} cannot lead a standby cluster.");

    /// <summary>
    /// Rewinds a running standby leader that has forked off the history of <paramref name="sourcePrimary"/>, and follows
    /// <paramref name="source"/> again; refused (<see cref="InvalidRoleTransitionException"/>) unless it runs as the leader
    /// following <paramref name="source"/>.
    /// </summary>
    /// <returns>How it was rewound; null when it proved not to be forked.</returns>
    Task<RejoinOutcome?> RewindForkedFromSourceAsync(StandbySource source, PeerId sourcePrimary, PeerId? downstream,
        IProgress<BaseBackupProgress>? progress, CancellationToken ct) =>
        throw new NotSupportedException($"{GetType().Name} cannot lead a standby cluster.");

    /// <summary>
    /// Replaces a running standby leader's data with a fresh copy of <paramref name="sourcePrimary"/>'s and follows
    /// <paramref name="source"/> again; refused as <see cref="RewindForkedFromSourceAsync"/> is.
    /// </summary>
    Task CloneAfreshFromSourceAsync(StandbySource source, PeerId sourcePrimary, PeerId? downstream,
        IProgress<BaseBackupProgress>? progress, CancellationToken ct) =>
        throw new NotSupportedException($"{GetType().Name} cannot lead a standby cluster.");

    /// <summary>
    /// Replaces a standby's data with a fresh copy of <paramref name="upstream"/>'s and follows it again; refused
    /// (<see cref="InvalidRoleTransitionException"/>) unless it runs as a standby that follows <paramref name="upstream"/>.
    /// </summary>
    Task CloneAfreshAsync(PeerId upstream, PeerId? downstream, IProgress<BaseBackupProgress>? progress, CancellationToken ct);

    /// <summary>
    /// Rewinds a running standby of <paramref name="upstream"/> that has forked off its history, and follows it again;
    /// refused (<see cref="InvalidRoleTransitionException"/>) unless it runs following <paramref name="upstream"/>.
    /// </summary>
    /// <returns>How it was rewound; null when it proved not to be forked.</returns>
    Task<RejoinOutcome?> RewindForkedAsync(PeerId upstream, PeerId? downstream, IProgress<BaseBackupProgress>? progress, CancellationToken ct) =>
        throw new NotSupportedException($"{GetType().Name} cannot rewind a standby.");

    /// <summary>
    /// Rewinds (or re-clones) a former primary onto the history of <paramref name="source"/>, the current primary, and
    /// then follows <paramref name="upstream"/>.
    /// </summary>
    Task<RejoinOutcome> RejoinAsync(PeerId source, PeerId upstream, PeerId? downstream, IProgress<BaseBackupProgress>? progress, CancellationToken ct);

    /// <summary>
    /// Fence for a takeover: stop receiving WAL, replay what arrived, and return the replayed and the received
    /// position with their history.
    /// </summary>
    Task<FenceReading> StopReceivingAsync(CancellationToken ct);

    /// <summary>
    /// Fence for a new sync: name <paramref name="syncId"/> (read-only until it catches up) and return the flushed
    /// position with its history.
    /// </summary>
    Task<FenceReading> NameSyncAsync(string syncId, CancellationToken ct);

    /// <summary>Self-fencing: read-only at once, and every client session terminated.</summary>
    Task SelfFenceAsync(CancellationToken ct);

    /// <summary>Stops PostgreSQL (fast, then immediate).</summary>
    Task StopAsync(CancellationToken ct);

    /// <summary>Reads the instance's status, or null when PostgreSQL does not answer.</summary>
    Task<InstanceStatus?> ReadStatusAsync(CancellationToken ct);

    /// <summary>
    /// False if <paramref name="peer"/>'s PostgreSQL answers and runs as a primary (not in recovery); true if it runs
    /// as a standby or does not answer (the follow then waits for it as before).
    /// </summary>
    Task<bool> IsNotAPrimaryAsync(PeerId peer, CancellationToken ct);

    /// <summary>
    /// Why <paramref name="upstream"/> cannot be cloned yet (it must accept connections and hold the replication role),
    /// or null when it can; an exception when it answers but refuses this node.
    /// </summary>
    Task<string?> WhyNotReadyToCloneAsync(PeerId upstream, CancellationToken ct);

    /// <summary>Another peer's status (role, timeline, positions), or null when it does not answer.</summary>
    Task<InstanceStatus?> ReadStatusOfAsync(PeerId peer, CancellationToken ct);

    /// <summary>
    /// Admits the peers <paramref name="state"/> names, besides the configured ones, to PostgreSQL (pg_hba), reloading it
    /// when that changed anything; never restarts it.
    /// </summary>
    /// <returns>True if the admitted hosts changed.</returns>
    Task<bool> AdmitPeersAsync(ClusterState state, CancellationToken ct);

    /// <summary>
    /// Writes the cluster-wide settings (over the node's defaults) and reloads a running server; a later start uses them
    /// too. The settings are taken before the method first waits.
    /// </summary>
    Task<SettingsApplied> ApplySettingsAsync(IReadOnlyDictionary<string, string> settings, CancellationToken ct) =>
        Task.FromResult(new SettingsApplied(false, []));

    /// <summary>Reloads a running server and waits until the reload is in force; false if none runs.</summary>
    Task<bool> ReloadAsync(CancellationToken ct) => Task.FromResult(false);

    /// <summary>
    /// Restarts a running server in its role; with <paramref name="onlyIfPending"/>, only if a setting waits for a
    /// restart. Returns null when it restarted, else why not.
    /// </summary>
    Task<string?> RestartAsync(bool onlyIfPending, CancellationToken ct) => Task.FromResult<string?>("this instance cannot restart");

    /// <summary>Where a raised fence is kept across restarts of the node process; null keeps it in memory only (tests).</summary>
    FenceFile? Fences => null;

    /// <summary>Fingerprints of the superuser passwords this node holds, newest first (<see cref="Appliance.Nodes.Postgres.ClusterSecret.Fingerprints"/>); null if it cannot tell.</summary>
    IReadOnlyList<string>? SecretFingerprints => null;

    /// <summary>Where the newest state played and the cluster id are kept; null keeps them in memory only (tests).</summary>
    StateLineage? Lineage => null;
}
