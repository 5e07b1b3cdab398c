using System.Collections.Immutable;

namespace Appliance.Nodes.State;

/// <summary>What the coordinator knows of its own host, for <see cref="CoordinatorHostRelief"/>.</summary>
/// <param name="Peers">Ids of the peers whose node runs in the coordinator's own host process.</param>
/// <param name="Settled">
/// The cluster has been quiet long enough for a planned move: no state written, no peer come or gone and no fence
/// raised for the configured time (<c>appliance.coordinator.relieve-host-after</c>). A move is never the first
/// reaction to a change, and a failed attempt is not retried at once.
/// </param>
public sealed record CoordinatorHost(ImmutableHashSet<string> Peers, bool Settled)
{
    /// <summary>True if <paramref name="peer"/> runs on the coordinator's host.</summary>
    public bool Runs(PeerId peer) => Peers.Contains(peer.Id);
}
