using Akka.Actor;
using Appliance.Actors.Protocol;
using Appliance.Nodes.State;

namespace Appliance.Actors.Coordinator;

/// <summary>An operator command waiting for its round, and whom to answer.</summary>
/// <param name="Command">The command.</param>
/// <param name="ReplyTo">The sender of the <see cref="OperatorProtocol.Submit"/>.</param>
internal sealed record QueuedCommand(OperatorCommand Command, IActorRef ReplyTo);
