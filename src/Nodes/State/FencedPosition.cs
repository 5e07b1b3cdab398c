namespace Appliance.Nodes.State;

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
