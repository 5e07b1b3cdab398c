namespace Appliance.Host.Api;

/// <summary>One peer as the answering node sees it over SQL.</summary>
/// <param name="Id">Instance id.</param>
/// <param name="Host">Address.</param>
/// <param name="Port">PostgreSQL port.</param>
/// <param name="Role">Its role in the state.</param>
/// <param name="Upstream">Who it streams from.</param>
/// <param name="Reachable">PostgreSQL answered.</param>
/// <param name="Error">Why not.</param>
/// <param name="ReadWrite">Takes writes.</param>
/// <param name="InRecovery">A standby.</param>
/// <param name="Timeline">Timeline.</param>
/// <param name="WalPosition">Furthest position held.</param>
/// <param name="LagBytes">Behind the primary, bytes (null if unknown).</param>
/// <param name="Downstreams">Its walsenders.</param>
/// <param name="PendingRestart">Settings its PostgreSQL takes only at a restart.</param>
/// <param name="XactCommit">Transactions committed on it (<c>pg_stat_database.xact_commit</c> summed over its databases);
/// the dashboard charts its differences as commits per second. Null when it did not answer.</param>
public sealed record PeerViewDto(string Id, string Host, int Port, string Role, string? Upstream, bool Reachable, string? Error,
    bool ReadWrite, bool InRecovery, int? Timeline, string? WalPosition, ulong? LagBytes, IReadOnlyList<DownstreamDto> Downstreams,
    IReadOnlyList<string>? PendingRestart = null, long? XactCommit = null);
