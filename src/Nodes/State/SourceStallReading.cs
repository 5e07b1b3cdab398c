namespace Appliance.Nodes.State;

/// <summary>
/// One stall check of a standby leader (<see cref="ClusterState.StandbyOf"/>): what it read of itself and, when it does
/// not stream, of its source's primary, which it finds anew at every check (a failover at the source moves it).
/// </summary>
/// <param name="Reading">The leader's progress and, when it does not stream, the source primary's WAL.</param>
/// <param name="SourcePrimary">The source's host that takes writes; null when it streams or no host does.</param>
public sealed record SourceStallReading(StallReading Reading, PeerId? SourcePrimary)
{
    /// <summary>How a reason names the upstream: the source primary's address, or the source when none answered.</summary>
    public string UpstreamName(StandbySource source) =>
        SourcePrimary is { } primary ? $"the source's primary {new SourceHost(primary.Host, primary.Port)}" : $"the source {source} (no host of it takes writes)";
}
