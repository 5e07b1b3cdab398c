namespace Appliance.Nodes.State;

/// <summary>Why the rules produced a new state. History shows it.</summary>
public enum TransitionReason
{
    /// <summary>The first state: the first member is primary, the second sync, the rest asyncs.</summary>
    InitialSetup,

    /// <summary>The primary is gone and the caught-up sync became primary (generation + 1; old primary deposed).</summary>
    SyncTakeover,

    /// <summary>The sync is gone and the primary chose a new one (generation + 1).</summary>
    SyncReplaced,

    /// <summary>Absent asyncs dropped or newcomers appended (same generation).</summary>
    AsyncsUpdated,

    /// <summary>A singleton cluster took a sync and became normal (generation + 1).</summary>
    SingletonToNormal,

    /// <summary>A planned, operator-requested change of roles.</summary>
    Switchover,

    /// <summary>An operator froze the cluster.</summary>
    Frozen,

    /// <summary>An operator unfroze the cluster.</summary>
    Unfrozen,

    /// <summary>An operator let a deposed peer serve again after a rebuild.</summary>
    Rebuilt,

    /// <summary>A deposed peer that had rewound itself rejoined the async tail (rejoin = auto).</summary>
    Rejoined,

    /// <summary>An operator removed a deposed peer that is gone for good.</summary>
    Reaped,

    /// <summary>
    /// A deposed incarnation whose host is gone was removed because its instance was re-created on another host
    /// (placement by sharding).
    /// </summary>
    IncarnationReplaced,

    /// <summary>An operator scaled the cluster to another number of instances (placement mode).</summary>
    Scaled,

    /// <summary>
    /// A planned move of the primary (a switchover to the sync) or of the sync (to an async) off the coordinator's
    /// host, made when the cluster was healthy and settled, so that a crash of that host does not also stop writes.
    /// </summary>
    CoordinatorHostRelieved,

    /// <summary>An operator put a peer in maintenance (same generation): the rules treat it as gone.</summary>
    MaintenanceOn,

    /// <summary>An operator took a peer out of maintenance; it rejoins the async tail when present.</summary>
    MaintenanceOff,

    /// <summary>
    /// With primary and sync both lost, an operator made another peer primary and accepted the loss of whatever it
    /// lacked (generation + 1; the old primary and sync are deposed).
    /// </summary>
    ForcedFailover,

    /// <summary>An operator scheduled a switchover for a later time (same generation).</summary>
    SwitchoverScheduled,

    /// <summary>An operator cancelled a scheduled switchover, or the rules dropped one that no longer applies.</summary>
    SwitchoverCancelled,

    /// <summary>An operator changed the cluster-wide PostgreSQL settings (same generation).</summary>
    SettingsChanged,

    /// <summary>
    /// An operator promoted a standby cluster (<c>appliance promote-cluster</c>): its leader stopped following the source
    /// and became a writable primary (generation past the source's timeline; <see cref="ClusterState.StandbyOf"/> cleared).
    /// </summary>
    ClusterPromoted,

    /// <summary>
    /// A standby cluster's leader was gone: its sync (or the first async that runs) leads in its place and follows the
    /// source itself; the old leader left the state, to rejoin as an async (generation + 1; nothing is promoted).
    /// </summary>
    StandbyLeaderReplaced,
}
