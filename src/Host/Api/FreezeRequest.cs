namespace Appliance.Host.Api;

/// <summary>Body of <c>POST /freeze</c>.</summary>
/// <param name="Reason">Why the cluster is frozen.</param>
/// <param name="Generation">Apply only at this generation.</param>
public sealed record FreezeRequest(string? Reason, long? Generation);
