namespace Appliance.Host.Api;

/// <summary>A downstream as its upstream sees it in <c>pg_stat_replication</c>.</summary>
/// <param name="Name">application_name.</param>
/// <param name="State">walsender state.</param>
/// <param name="SyncState">sync_state.</param>
/// <param name="FlushLsn">Flushed up to.</param>
/// <param name="ReplayLsn">Replayed up to.</param>
/// <param name="LagBytes">Replay lag behind the upstream.</param>
public sealed record DownstreamDto(string Name, string State, string SyncState, string? FlushLsn, string? ReplayLsn, ulong LagBytes);
