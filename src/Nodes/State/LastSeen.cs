namespace Appliance.Nodes.State;

/// <summary>What the coordinator last knew of a peer that is no longer present.</summary>
/// <param name="Report">Its last report, or null if it never reported to this coordinator.</param>
/// <param name="Since">When that report came (or, without one, when this coordinator started observing).</param>
public sealed record LastSeen(PeerReport? Report, DateTimeOffset Since);
