using Appliance.Nodes.State;

namespace Appliance.Actors.Node.Roles;

/// <summary>Not named by the state: PostgreSQL is stopped until the peer is given a role.</summary>
public sealed class UnassignedRole(RoleContext context) : RoleActor(context)
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

/// <summary>
/// A deposed former primary. It stops at once, since its WAL may hold writes that were never acknowledged. Under
/// <see cref="RejoinPolicy.Auto"/> it then rewinds onto the current primary's timeline (or re-clones when the rewind
/// fails), follows the primary as an unnamed standby, and tells the coordinator it is ready to rejoin the chain.
/// </summary>
public sealed class DeposedRole(RoleContext context) : RoleActor(context)
{
    /// <summary>Props for <paramref name="context"/>.</summary>
    public static Akka.Actor.Props Props(RoleContext context) => Akka.Actor.Props.Create(() => new DeposedRole(context));

    /// <inheritdoc />
    protected override async Task ReconcileAsync(CancellationToken ct)
    {
        var instance = Role.Instance;
        await instance.StopAsync(ct).ConfigureAwait(false);
        Report(new RoleProtocol.Applied(Role.Token, PeerRole.Deposed, ReadWrite: false));
        if (Role.Rejoin != RejoinPolicy.Auto) return;

        var outcome = await instance.RejoinAsync(Role.State.Primary, Role.State.Primary, null, CloneProgress(), ct).ConfigureAwait(false);
        // The timeline it now follows, read from the running standby: the coordinator takes readiness only for this
        // primary and generation, and checks the history the reports show against the primary's.
        var status = await instance.ReadStatusAsync(ct).ConfigureAwait(false)
            ?? throw new InvalidOperationException($"{instance.Peer.Id} rejoined behind {Role.State.Primary.Id} but PostgreSQL does not answer.");
        Report(new RoleProtocol.ReadyToRejoin(Role.Token, outcome, new RejoinTarget(Role.State.Primary.Id, Role.State.Generation, status.Timeline)));
    }
}
