namespace Appliance.Nodes.State;

/// <summary>The refusals that several rules share, worded once.</summary>
internal static class Refusals
{
    public static Refusal Frozen(ClusterState state, string wanted) =>
        new(RefusalReason.ClusterFrozen,
            $"{wanted} is needed, but the cluster is frozen ({state.Freeze!.Reason}, since {state.Freeze.Since:u}); unfreeze it to let this happen.");

    public static Refusal NoCandidate(string wanted) =>
        new(RefusalReason.NoAsyncAvailable,
            $"{wanted} is needed, but no async or new peer is present to become the sync; start another instance.");

    public static Refusal Offline(PeerId peer, string wanted) =>
        new(RefusalReason.DatabaseOffline,
            $"{wanted} is needed, but PostgreSQL on {peer.Id} is not running, or did not answer in time (its last report, or a fence it " +
            $"did not raise within the probe timeout); it will be retried when {peer.Id} reports it up.");

    public static Refusal NeedsPosition(PeerId peer, WalFence fence, string wanted) =>
        new(RefusalReason.NeedsFencedPosition,
            $"{wanted} needs the WAL position of {peer.Id} read now, behind a fence, not from an earlier report.",
            new PositionProbe(peer.Id, fence));
}
