namespace Appliance.Host.Api;

/// <summary><c>POST /restart</c>: <c>{"pending":true,"peers":["n2"]}</c>, both optional.</summary>
/// <param name="Pending">Restart only peers whose PostgreSQL reports a pending restart.</param>
/// <param name="Peers">Restart only these peers (default: every peer).</param>
public sealed record RestartRequest(bool? Pending, List<string>? Peers);
