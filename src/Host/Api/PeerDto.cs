using Appliance.Nodes.State;

namespace Appliance.Host.Api;

/// <summary>A peer of the cluster state.</summary>
/// <param name="Id">The instance id (PostgreSQL's application_name).</param>
/// <param name="Host">Where its PostgreSQL listens.</param>
/// <param name="Port">Its PostgreSQL port.</param>
public sealed record PeerDto(string Id, string Host, int Port)
{
    /// <summary>From the model.</summary>
    public static PeerDto? From(PeerId? peer) => peer is null ? null : new(peer.Id, peer.Host, peer.Port);
}
