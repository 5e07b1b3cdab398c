using Appliance.Nodes.State;

namespace Appliance.Actors.Node.Roles;

/// <summary>
/// In maintenance (<c>appliance maintenance on ID</c>): the node leaves PostgreSQL to the operator. It neither starts
/// nor stops it, whatever it finds, until the state takes the peer out of maintenance; a postmaster that exits (the
/// operator stopped it) only restarts this role, which again does nothing.
/// </summary>
internal sealed class MaintenanceRole(RoleContext context) : RoleActor(context)
{
    /// <summary>Props for <paramref name="context"/>.</summary>
    public static Akka.Actor.Props Props(RoleContext context) => Akka.Actor.Props.Create(() => new MaintenanceRole(context));

    /// <inheritdoc />
    protected override Task ReconcileAsync(CancellationToken ct)
    {
        Report(new RoleProtocol.Applied(Role.Token, PeerRole.Maintenance, ReadWrite: false));
        return Task.CompletedTask;
    }
}
