using Appliance.Actors.Placement;

namespace Appliance.Host.Node;

/// <summary>Registry key of this host's <see cref="InstanceStarter"/> (placement mode).</summary>
public sealed class InstanceStarterKey;
