namespace Appliance.Nodes.State;

/// <summary>The last status a peer reported to the coordinator.</summary>
/// <param name="PostgresUp">Whether its PostgreSQL is running and answering.</param>
/// <param name="Wal">Its last reported WAL position (current LSN on a primary, replay LSN on a standby). It may be
/// stale: decisions that need an exact position use <see cref="ClusterObservation.FencedPositions"/> instead.</param>
/// <param name="HasExistingData">Its data directory already holds a database. Bootstrap refuses to run over such
/// peers, since a lost state store must not turn a stale replica into the primary.</param>
/// <param name="ReadyToRejoin">A deposed peer has rewound (or re-cloned) onto the current timeline and can rejoin as
/// an async.</param>
public sealed record PeerReport(bool PostgresUp, Lsn Wal, bool HasExistingData = false, bool ReadyToRejoin = false);
