using Appliance.Nodes.State;

namespace Appliance.Actors.Coordinator;

/// <summary>Which fences raised during an evaluation round the state it ended with did not use.</summary>
/// <remarks>
/// The same judgement as the model's <c>ReplicationWorld.LiftUnusedFence</c> in the tests, applied to the state that
/// was written last: a sync that stopped receiving resumes unless it became primary; a primary that named a
/// candidate sync names the state's sync again unless the candidate became it. A peer that lost its role in the
/// round follows the new state anyway, so it is left alone. (This belongs beside <see cref="WalFence"/> in
/// <c>src/Nodes/State</c>, where the model could share it; that project is outside this change.)
/// </remarks>
internal static class UnusedFences
{
    /// <summary>True if <paramref name="fence"/>, raised on <paramref name="peerId"/>, should be lifted under <paramref name="state"/>.</summary>
    public static bool IsUnused(string peerId, WalFence fence, ClusterState? state) => fence switch
    {
        WalFence.StopReceiving => state is null || !state.Primary.Is(peerId),
        WalFence.NameSync name => state is not null && state.Primary.Is(peerId) && state.Sync?.Id != name.PeerId,
        _ => throw new ArgumentOutOfRangeException(nameof(fence), fence, "Unknown fence."),
    };
}
