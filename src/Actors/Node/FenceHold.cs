using Appliance.Actors.Protocol;
using Appliance.Nodes.Postgres;
using Appliance.Nodes.State;

namespace Appliance.Actors.Node;

/// <summary>
/// The WAL fence a node holds up for a coordinator, and its owner, mirrored in the instance's fence file so that a
/// restart cannot lose it. While one is up no role runs; the node actor decides when, and runs the effects.
/// </summary>
/// <remarks>Not thread-safe: the node actor owns it.</remarks>
internal sealed class FenceHold(FenceFile? file)
{
    /// <summary>The fence up, or null.</summary>
    public WalFence? Fence { get; private set; }

    /// <summary>Who raised it; null for a probe's fence, which is not kept on disk.</summary>
    public FenceOwner? Owner { get; private set; }

    /// <summary>Takes up the fence kept on disk, if any; true if there was one. A one-off read at start-up.</summary>
    public bool Restore()
    {
        if (file?.Load() is not { } kept) return false;
        (Fence, Owner) = kept;
        return true;
    }

    /// <summary>
    /// Holds <paramref name="fence"/> for <paramref name="owner"/>, and starts keeping it in the fence file; the caller
    /// raises it in PostgreSQL only once the returned task has completed, so that a restart in between cannot lose it.
    /// A probe's fence (no owner) is not kept: no coordinator will come back to lift it.
    /// </summary>
    /// <returns>The save, already completed when there is nothing to save.</returns>
    public Task HoldAsync(WalFence fence, FenceOwner? owner, CancellationToken ct)
    {
        Fence = fence;
        Owner = owner;
        return owner is not null && file is not null ? file.SaveAsync(fence, owner, ct) : Task.CompletedTask;
    }

    /// <summary>
    /// True if <paramref name="lift"/> answers the raise that is up: a late lift from an earlier probe, or from a
    /// coordinator that has been replaced, must not take down a fence a later round still relies on.
    /// </summary>
    public bool IsLiftedBy(NodeProtocol.LiftFence lift) => Fence is not null && Fence == lift.Fence && Equals(Owner, lift.Owner);

    /// <summary>True if a fence is up that a state of <paramref name="version"/> supersedes (a probe's fence any state does).</summary>
    public bool IsSupersededBy(long version) => Fence is not null && (Owner is null || version > Owner.StateVersion);

    /// <summary>Takes the fence down, then removes the file.</summary>
    /// <exception cref="IOException">The file could not be removed; the fence is down all the same.</exception>
    public void Clear()
    {
        Fence = null;
        Owner = null;
        file?.Clear();
    }
}
