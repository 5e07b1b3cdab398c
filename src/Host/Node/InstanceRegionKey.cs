namespace Appliance.Host.Node;

/// <summary>Registry key of the instances' shard region (placement mode).</summary>
public sealed class InstanceRegionKey;
