namespace Appliance.Nodes.State;

/// <summary>The last status a peer reported to the coordinator.</summary>
/// <param name="PostgresUp">Whether its PostgreSQL is running and answering.</param>
/// <param name="Wal">Its last reported WAL position (current LSN on a primary, replay LSN on a standby). It may be
/// stale: decisions that need an exact position use <see cref="ClusterObservation.FencedPositions"/> instead.</param>
/// <param name="HasExistingData">Its data directory already holds a database. Bootstrap refuses to run over such
/// peers, since a lost state store must not turn a stale replica into the primary.</param>
/// <param name="ReadyToRejoin">A deposed peer has rewound (or re-cloned) onto the current timeline and can rejoin as
/// an async.</param>
/// <param name="History">The history of the timeline <paramref name="Wal"/> is on; null when unknown (PostgreSQL down,
/// or a peer that does not report it). The rules move a peer up the chain only when this shows it on the primary's
/// history.</param>
/// <param name="RewoundOnto">What a deposed peer rewound onto, when <paramref name="ReadyToRejoin"/>: its readiness
/// counts only for that primary and generation.</param>
/// <param name="Tags">The node's tags (<c>--tag</c>): <see cref="PeerTags.NoFailover"/> keeps it from ever becoming
/// the sync or the primary.</param>
/// <param name="StandbyOf">The node's <c>--standby-of</c>, null without one. Initial setup refuses while the members
/// disagree on it, so that a node started without it cannot set a second site up as a writable cluster.</param>
public sealed record PeerReport(bool PostgresUp, Lsn Wal, bool HasExistingData = false, bool ReadyToRejoin = false,
    TimelineHistory? History = null, RejoinTarget? RewoundOnto = null, PeerTags Tags = PeerTags.None, StandbySource? StandbyOf = null);
