using Appliance.Nodes.State;

namespace Appliance.Actors.Protocol;

/// <summary>What database nodes and the coordinator tell each other.</summary>
public static class NodeProtocol
{
    /// <summary>
    /// A node's status, sent to the coordinator on a timer and on every change. It also tells the coordinator which
    /// peer lives at the sender's cluster address, which is how cluster membership becomes peer membership.
    /// </summary>
    /// <param name="Peer">The instance this node runs.</param>
    /// <param name="Report">What the rules need to know of it.</param>
    /// <param name="AppliedVersion">The newest state version whose role the node has applied, 0 if none.</param>
    /// <param name="Role">The role the node is playing now.</param>
    /// <param name="ReadWrite">The node is a primary that takes writes.</param>
    /// <param name="Fence">The fence the node holds, if any, so that a coordinator can lift one whose owner is gone.</param>
    /// <param name="FenceOwner">Who raised <paramref name="Fence"/>.</param>
    /// <param name="SecretFingerprints">Fingerprints of the superuser passwords the node holds, newest first, so that a
    /// rotation can first check that every node holds the new one (<see cref="CredentialProtocol"/>); null from a node
    /// without them.</param>
    public sealed record StatusReport(PeerId Peer, PeerReport Report, long AppliedVersion, PeerRole Role, bool ReadWrite,
        WalFence? Fence = null, FenceOwner? FenceOwner = null, IReadOnlyList<string>? SecretFingerprints = null) : IApplianceMessage;

    /// <summary>
    /// Raise <paramref name="Fence"/> and answer with the WAL position read behind it (<see cref="FenceRaised"/>), or
    /// <see cref="FenceFailed"/> if this node cannot (PostgreSQL down, or not in the role the fence is for).
    /// </summary>
    /// <param name="ProbeId">Echoed in the answer, so that a late answer to an earlier probe is recognised.</param>
    /// <param name="Fence">The fence to raise.</param>
    /// <param name="Owner">Who raises it and for which state: a node that holds a newer state refuses the raise, and
    /// only a lift naming the same owner takes the fence down. Optional on the wire only for older coordinators.</param>
    public sealed record RaiseFence(long ProbeId, WalFence Fence, FenceOwner? Owner = null) : IApplianceMessage;

    /// <summary>The fence is up; <paramref name="Position"/> is the position read behind it.</summary>
    /// <param name="ProbeId">The probe answered.</param>
    /// <param name="PeerId">The answering peer.</param>
    /// <param name="Position">Its position: the end of the last whole record (replayed on a standby, flushed on a primary).</param>
    /// <param name="History">The history of the timeline <paramref name="Position"/> is on, read behind the same fence.
    /// Optional on the wire only so that an older node's answer still parses; the coordinator treats an answer without
    /// one as a failed probe.</param>
    /// <param name="Received">A standby's received position, a partial last record included; null from a primary or
    /// an older node (the rules then use <paramref name="Position"/>, which is never more).</param>
    public sealed record FenceRaised(long ProbeId, string PeerId, Lsn Position, TimelineHistory? History = null, Lsn? Received = null)
        : IApplianceMessage;

    /// <summary>The fence could not be raised.</summary>
    /// <param name="ProbeId">The probe answered.</param>
    /// <param name="PeerId">The answering peer.</param>
    /// <param name="Reason">Why, for logs and status.</param>
    public sealed record FenceFailed(long ProbeId, string PeerId, string Reason) : IApplianceMessage;

    /// <summary>
    /// The coordinator wrote no generation that used this fence: resume as the node's current state says (a sync
    /// starts receiving again; a primary names the state's sync again).
    /// </summary>
    /// <param name="Fence">The fence to lift.</param>
    /// <param name="Owner">The owner it was raised with; a node lifts only a fence with this owner.</param>
    public sealed record LiftFence(WalFence Fence, FenceOwner? Owner = null) : IApplianceMessage;
}
