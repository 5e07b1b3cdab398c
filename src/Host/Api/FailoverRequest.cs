namespace Appliance.Host.Api;

/// <summary>Body of <c>POST /failover</c>.</summary>
/// <param name="To">The peer to make primary.</param>
/// <param name="AcceptDataLoss">Must be true: the operator accepts losing acknowledged writes only the lost peers hold.</param>
public sealed record FailoverRequest(string? To, bool? AcceptDataLoss);
