namespace Appliance.Host.Node;

/// <summary>Registry key of the coordinator singleton's proxy.</summary>
public sealed class CoordinatorKey;
