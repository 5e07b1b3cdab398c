namespace Appliance.Nodes.State;

/// <summary>
/// What a peer must do before it reports the WAL position that a new generation is built on, so that no write of
/// the old generation can be acknowledged beyond that position.
/// </summary>
/// <remarks>
/// A position read without a fence can be overtaken at once: an old primary that still reaches its sync (an asymmetric
/// partition) goes on getting commits acknowledged through it, and a primary that has not yet applied a new sync
/// still acknowledges through the old one. Either would leave acknowledged writes above the new initWal, where the
/// next takeover check cannot see them.
/// </remarks>
public abstract record WalFence
{
    private WalFence() { }

    /// <summary>
    /// True if this fence, raised on <paramref name="peerId"/> during an evaluation, is not used by the state the
    /// evaluation ended with, and so must be lifted: a sync that stopped receiving resumes unless it became primary (a
    /// standby leader fenced for promote-cluster resumes following its source unless the cluster was promoted); a
    /// primary that named a candidate names the state's sync again unless the candidate became it. A peer that lost
    /// its role follows the new state anyway.
    /// </summary>
    public bool IsUnusedBy(string peerId, ClusterState? state) => this switch
    {
        StopReceiving => state is null || !state.Primary.Is(peerId) || state.IsStandbyCluster,
        NameSync name => state is not null && state.Primary.Is(peerId) && state.Sync?.Id != name.PeerId,
        _ => throw new InvalidOperationException($"Unknown fence {this}."),
    };

    /// <summary>
    /// True if no state a round wrote used this fence, so that it must be lifted at the round's end.
    /// <paramref name="written"/> holds the round's states in order; when it is empty, <paramref name="current"/>
    /// decides. A fence that any written state used stays up, even when a later state of the same round moved the peer
    /// on: a sync that took over and was then deposed in the same round (say, moved off the coordinator's host) must not
    /// resume streaming, or a node acting on a stale view could acknowledge its old primary's writes as sync.
    /// </summary>
    public bool IsUnusedByRound(string peerId, ClusterState? current, IReadOnlyCollection<ClusterState> written) =>
        written.Count == 0 ? IsUnusedBy(peerId, current) : written.All(s => IsUnusedBy(peerId, s));

    /// <summary>The fence a sync raises before it takes over.</summary>
    public static readonly StopReceiving StopReceivingWal = new();

    /// <summary>
    /// The standby shuts off its WAL receiver, replays what it received, and reports how far it replayed and received:
    /// nothing more from the old primary reaches it, so nothing more is acknowledged through it. It resumes if no new
    /// generation follows.
    /// </summary>
    public sealed record StopReceiving : WalFence;

    /// <summary>
    /// The primary names <paramref name="PeerId"/> in <c>synchronous_standby_names</c>, then reports its flushed
    /// position: every commit acknowledged before is at or below it, and every commit acknowledged later is on that peer.
    /// </summary>
    /// <param name="PeerId">The peer that becomes the sync.</param>
    public sealed record NameSync(string PeerId) : WalFence;
}
