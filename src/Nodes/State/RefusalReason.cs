namespace Appliance.Nodes.State;

/// <summary>Why the rules would not make a change that the situation or an operator asked for.</summary>
public enum RefusalReason
{
    /// <summary>The sync has not replayed up to initWal, so it may lack acknowledged writes.</summary>
    NotCaughtUp,

    /// <summary>
    /// The sync holds WAL as far as initWal, but not on the generation's timeline history: it forked off it (it kept
    /// streaming from a primary that was deposed, or was never rewound). Promoting it could lose acknowledged writes.
    /// </summary>
    OffHistory,

    /// <summary>No async (or unassigned newcomer) is there to become the new sync.</summary>
    NoAsyncAvailable,

    /// <summary>The cluster is frozen, and the change would start a new generation.</summary>
    ClusterFrozen,

    /// <summary>The PostgreSQL that would have to act is not running.</summary>
    DatabaseOffline,

    /// <summary>The change needs a WAL position read now behind a fence; run <see cref="Refusal.Probe"/> and evaluate again.</summary>
    NeedsFencedPosition,

    /// <summary>Both the primary and the sync are gone: no peer provably holds every acknowledged write.</summary>
    PrimaryAndSyncLost,

    /// <summary>
    /// The coordinator's own cluster view does not reach a majority of the database members, so it writes no new
    /// generation: on the minority side of a partition it could otherwise depose a primary the majority still uses.
    /// </summary>
    NoMajority,

    /// <summary>Fewer peers than the mode needs to set the cluster up (or to leave singleton mode).</summary>
    NotEnoughPeers,

    /// <summary>A peer has not reported its status yet, and the decision depends on it.</summary>
    AwaitingReports,

    /// <summary>No state exists, yet a peer holds a database: bootstrapping could make a stale copy primary.</summary>
    ExistingData,

    /// <summary>
    /// The configuration contradicts the state or itself: singleton configured for a normal cluster, a standby cluster in
    /// singleton mode, or members that disagree on <c>--standby-of</c> at setup.
    /// </summary>
    ModeMismatch,

    /// <summary>Freeze asked of a frozen cluster.</summary>
    AlreadyFrozen,

    /// <summary>Unfreeze asked of a cluster that is not frozen.</summary>
    NotFrozen,

    /// <summary>The command names a peer the state does not know.</summary>
    UnknownPeer,

    /// <summary>Rebuild or reap named a peer that is not deposed.</summary>
    NotDeposed,

    /// <summary>Reap named a deposed peer that is still a cluster member.</summary>
    PeerStillPresent,

    /// <summary>The command cannot apply as given (for example, a switchover to the primary, or a freeze without a reason).</summary>
    InvalidRequest,

    /// <summary>The command was issued against another generation than the current one.</summary>
    StaleGeneration,

    /// <summary>The command does not apply in singleton mode.</summary>
    SingletonMode,

    /// <summary>No cluster state exists yet.</summary>
    NoState,

    /// <summary>A scale would go below the minimum number of instances (3; 1 in singleton mode) without force.</summary>
    BelowMinimum,

    /// <summary>A scale would remove the primary or the sync; switch over first.</summary>
    SwitchoverFirst,

    /// <summary>A forced failover was asked without accepting the data loss it may cause.</summary>
    DataLossNotAccepted,

    /// <summary>A forced failover was asked while the primary or the sync is present: a safe path exists.</summary>
    SafePathExists,

    /// <summary>
    /// A forced failover was asked before the lost primary and sync have been gone for the hold-down: a primary cut off
    /// with its sync may still acknowledge writes until its coordinator lease runs out.
    /// </summary>
    LostTooRecently,

    /// <summary>The peer is tagged <c>nofailover</c>: it never becomes the sync or the primary.</summary>
    TaggedNoFailover,

    /// <summary>
    /// The change does not apply to a standby cluster (<see cref="ClusterState.StandbyOf"/>): its leader follows another
    /// cluster and takes no writes, so nothing in it may be promoted (but the whole cluster, by promote-cluster).
    /// </summary>
    StandbyCluster,

    /// <summary>promote-cluster was asked of a cluster that is not a standby cluster: it takes writes already.</summary>
    NotStandbyCluster,
}
