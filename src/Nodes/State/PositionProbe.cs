namespace Appliance.Nodes.State;

/// <summary>A request to fence a peer and read its position, for the rules to evaluate again with the answer.</summary>
/// <param name="PeerId">The peer to ask.</param>
/// <param name="Fence">What it must do first.</param>
public sealed record PositionProbe(string PeerId, WalFence Fence);
