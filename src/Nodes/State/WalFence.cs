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

/// <summary>A WAL position a peer reported after raising <paramref name="Fence"/>.</summary>
/// <param name="Position">Where its WAL ends in whole records: flushed on a primary; replayed, once replay has used up
/// what arrived, on a standby. A promotion of the standby forks here, so a generation is declared at this position.</param>
/// <param name="Fence">The fence that was up when the position was read.</param>
/// <param name="History">The history of the timeline <paramref name="Position"/> is on, read behind the same fence:
/// a takeover needs the sync on the generation's history, not just far enough along some WAL.</param>
/// <param name="Received">On a standby, how far it holds WAL on <paramref name="History"/>, which is past
/// <paramref name="Position"/> when the last chunk streamed ends inside a record; null from a primary, from an older
/// node, or when it could not be read on that history (then <paramref name="Position"/> alone counts).</param>
public sealed record FencedPosition(Lsn Position, WalFence Fence, TimelineHistory History, Lsn? Received = null)
{
    /// <summary>
    /// How far the peer holds its upstream's WAL. A commit acknowledged through it ends at or below this and is whole,
    /// so the peer holds it once this reaches it, even where this lies inside a later, partial record.
    /// </summary>
    public Lsn Held => Received is { } received && received > Position ? received : Position;
}

/// <summary>A request to fence a peer and read its position, for the rules to evaluate again with the answer.</summary>
/// <param name="PeerId">The peer to ask.</param>
/// <param name="Fence">What it must do first.</param>
public sealed record PositionProbe(string PeerId, WalFence Fence);
