using Akka.Actor;
using Appliance.Actors.Instance;
using Appliance.Actors.Node;

namespace Appliance.Actors.Placement;

/// <summary>One instance placed on this host: its node actor and the PostgreSQL instance it supervises.</summary>
/// <param name="InstanceId">The instance (<c>pg-N</c>).</param>
/// <param name="Node">Its <see cref="DatabaseNodeActor"/>.</param>
/// <param name="Instance">Its PostgreSQL instance.</param>
/// <param name="Entity">Its sharded entity (placement mode), which stops it for good on <see cref="Protocol.InstanceProtocol.StopInstance"/>.</param>
public sealed record LocalInstance(string InstanceId, IActorRef Node, IDatabaseInstance Instance, IActorRef? Entity = null);
