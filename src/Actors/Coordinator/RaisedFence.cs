using Akka.Actor;
using Appliance.Nodes.State;

namespace Appliance.Actors.Coordinator;

/// <summary>A fence the coordinator asked a node to raise in this round, to lift at the end if unused.</summary>
internal sealed record RaisedFence(string PeerId, WalFence Fence, IActorRef Node, FenceOwner Owner);
