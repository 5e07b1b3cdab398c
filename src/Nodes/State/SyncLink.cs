namespace Appliance.Nodes.State;

/// <summary>The primary's link to its sync as one read of <c>pg_stat_replication</c> saw it, during a planned stop.</summary>
/// <param name="Streaming">Its walsender streams live (rather than starting up or catching up).</param>
/// <param name="CaughtUp">Streaming, and the sync has flushed everything sent.</param>
/// <param name="State">The walsender's state as PostgreSQL names it, for the log.</param>
public sealed record SyncLink(bool Streaming, bool CaughtUp, string State);
