namespace Appliance.Nodes.State;

/// <summary>What a state asks of one peer: its role, whom it replicates from and who replicates from it.</summary>
/// <param name="Role">The peer's role.</param>
/// <param name="Upstream">The peer it streams WAL from (null for the primary and for idle peers).</param>
/// <param name="Downstream">The peer that streams WAL from it, if any.</param>
/// <param name="AsyncIndex">The peer's index in the async chain, or null if it is not an async.</param>
public sealed record RoleAssignment(PeerRole Role, PeerId? Upstream, PeerId? Downstream, int? AsyncIndex = null)
{
    /// <summary>A peer that the state does not name.</summary>
    public static readonly RoleAssignment Unassigned = new(PeerRole.Unassigned, null, null);

    /// <summary>A peer in the deposed list.</summary>
    public static readonly RoleAssignment Deposed = new(PeerRole.Deposed, null, null);

    /// <summary>A peer an operator put in maintenance.</summary>
    public static readonly RoleAssignment InMaintenance = new(PeerRole.Maintenance, null, null);
}
