using Appliance.Nodes.State;

namespace Appliance.Nodes.Postgres;

/// <summary>
/// Where a fenced standby's WAL ends, read once it has replayed every whole record it holds (proved against pg_wal by
/// <c>pg_waldump</c>, see <see cref="PostgresDriver.StopReceivingAsync"/>).
/// </summary>
/// <param name="Replayed">The end of the last whole record it replayed: where a promotion of it forks, so the
/// generation it starts is declared here.</param>
/// <param name="Received">How far it received WAL, at least <paramref name="Replayed"/>. The two differ when the last
/// chunk streamed ends inside a record (a primary flushes by page and by segment, not by record): replay stops before
/// that record for good, and a promotion drops it. Every commit acknowledged through this standby ends at or below
/// <paramref name="Received"/> and is whole, so it is replayed; that is why a takeover may compare this one with
/// initWal, and must declare the new generation at <paramref name="Replayed"/>.</param>
/// <param name="ReceivedTimeline">The timeline <paramref name="Received"/> is on: the one replayed, as
/// <c>IDENTIFY_SYSTEM</c> answers it after the fence; null when that could not be asked (then
/// <paramref name="Received"/> is the replayed end).</param>
public sealed record StandbyWalEnd(Lsn Replayed, Lsn Received, int? ReceivedTimeline = null);
