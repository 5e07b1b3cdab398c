namespace Appliance.Nodes.State;

/// <summary>Why and since when the cluster is frozen: no generation change happens until an operator unfreezes it.</summary>
/// <param name="Reason">What the operator (or singleton bootstrap) gave as the reason.</param>
/// <param name="Since">When the freeze was set; passed in by the caller, the rules read no clock.</param>
public sealed record FreezeInfo(string Reason, DateTimeOffset Since);
