namespace Appliance.Host.Node;

/// <summary>Registry key of this process's <see cref="StateFeedActor"/>.</summary>
public sealed class StateFeedKey;
