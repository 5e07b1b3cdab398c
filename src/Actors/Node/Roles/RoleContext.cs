using Appliance.Actors.Instance;
using Appliance.Nodes.State;

namespace Appliance.Actors.Node.Roles;

/// <summary>Everything a role actor needs: the instance, the state it acts on, its place in it, and where to report.</summary>
/// <param name="Token">This incarnation's token, echoed in every <see cref="RoleProtocol"/> message.</param>
/// <param name="Instance">The PostgreSQL instance.</param>
/// <param name="State">The cluster state the role comes from.</param>
/// <param name="Assignment">The peer's role, upstream and downstream in it.</param>
/// <param name="Node">The node actor to report to.</param>
/// <param name="Options">Timings.</param>
/// <param name="Rejoin">The policy for deposed peers.</param>
internal sealed record RoleContext(long Token, IDatabaseInstance Instance, ClusterState State, RoleAssignment Assignment,
    Akka.Actor.IActorRef Node, DatabaseNodeSettings Options, RejoinPolicy Rejoin);
