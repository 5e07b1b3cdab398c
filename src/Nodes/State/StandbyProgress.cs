namespace Appliance.Nodes.State;

/// <summary>What a running standby's stall check read of itself.</summary>
/// <param name="Streaming">Its WAL receiver streams (<c>pg_stat_wal_receiver.status = 'streaming'</c>).</param>
/// <param name="Position">
/// Where its replay stands (<c>InstanceStatus.AppliedPosition</c>): its receiver asks for WAL from the start of this
/// position's segment, and histories are compared here (a standby can hold part of a record past it that a promotion of
/// its upstream dropped).
/// </param>
/// <param name="History">The history of the timeline it is on; null when it could not be read.</param>
public sealed record StandbyProgress(bool Streaming, Lsn Position, TimelineHistory? History);
