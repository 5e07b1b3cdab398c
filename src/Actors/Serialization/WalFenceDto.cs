using Appliance.Nodes.State;

namespace Appliance.Actors.Serialization;

/// <summary>The wire shape of a <see cref="WalFence"/>: a stable kind name, and the peer for <c>name-sync</c>.</summary>
/// <param name="Kind"><c>stop-receiving</c> or <c>name-sync</c>.</param>
/// <param name="PeerId">The peer to name as sync, for <c>name-sync</c>.</param>
internal sealed record WalFenceDto(string Kind, string? PeerId = null);
