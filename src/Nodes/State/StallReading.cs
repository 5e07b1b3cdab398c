namespace Appliance.Nodes.State;

/// <summary>One stall check's reading: the standby's progress, and its upstream's WAL when it does not stream.</summary>
/// <param name="Own">What the standby read of itself.</param>
/// <param name="Upstream">What its upstream still holds; null when it streams (not read) or the upstream did not answer.</param>
public sealed record StallReading(StandbyProgress Own, UpstreamWal? Upstream);
