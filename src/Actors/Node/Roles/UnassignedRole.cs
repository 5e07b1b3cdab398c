using Appliance.Nodes.State;

namespace Appliance.Actors.Node.Roles;

/// <summary>Not named by the state: PostgreSQL is stopped until the peer is given a role.</summary>
internal sealed class UnassignedRole(RoleContext context) : RoleActor(context)
{
    /// <summary>Props for <paramref name="context"/>.</summary>
    public static Akka.Actor.Props Props(RoleContext context) => Akka.Actor.Props.Create(() => new UnassignedRole(context));

    /// <inheritdoc />
    protected override async Task ReconcileAsync(CancellationToken ct)
    {
        await Role.Instance.StopAsync(ct).ConfigureAwait(false);
        Report(new RoleProtocol.Applied(Role.Token, PeerRole.Unassigned, ReadWrite: false));
    }
}
