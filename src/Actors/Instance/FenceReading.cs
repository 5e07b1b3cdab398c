using Appliance.Nodes.State;

namespace Appliance.Actors.Instance;

/// <summary>A position read behind a fence, with the history of the timeline it is on.</summary>
/// <param name="Position">The end of the last whole record: replayed on a standby, flushed on a primary.</param>
/// <param name="History">Its timeline's history; null when it could not be read (the coordinator then counts the probe as
/// failed rather than compare a bare LSN).</param>
/// <param name="Received">On a standby, how far it received, a partial last record included
/// (<see cref="Appliance.Nodes.Postgres.StandbyWalEnd"/>); null on a primary.</param>
public sealed record FenceReading(Lsn Position, TimelineHistory? History, Lsn? Received = null);
