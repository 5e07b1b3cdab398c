using Akka.Actor;
using Akka.Cluster.Tools.PublishSubscribe;
using Appliance.Actors.Protocol;
using Appliance.Nodes.State;

namespace Appliance.Actors.Client;

/// <summary>
/// Follows the authoritative cluster state for an application: subscribes to <see cref="ClusterStateProtocol.Topic"/>,
/// asks the coordinator for the current state at once (a late subscriber does not wait for the next change) and
/// again until it has one, and hands every newer version to a callback, in version order. Older or
/// repeated versions, which pub-sub and the coordinator's republishing produce, are dropped.
/// </summary>
public sealed class ClusterStateSubscriber : ReceiveActor, IWithTimers
{
    private long _version;

    /// <summary>Creates the subscriber.</summary>
    /// <param name="coordinator">The coordinator singleton's proxy.</param>
    /// <param name="mediator">The distributed pub-sub mediator.</param>
    /// <param name="onState">Called with every newer state, on the actor's thread; it must not block.</param>
    public ClusterStateSubscriber(IActorRef coordinator, IActorRef mediator, Action<ClusterState> onState)
    {
        Receive<ClusterStateProtocol.StateChanged>(changed => Take(changed.State, onState));
        Receive<ClusterStateProtocol.CurrentState>(current => { if (current.State is { } state) Take(state, onState); });
        Receive<SubscribeAck>(_ => { });
        Receive<AskAgain>(_ => { if (_version == 0) coordinator.Tell(ClusterStateProtocol.GetState.Instance); });
        mediator.Tell(new Subscribe(ClusterStateProtocol.Topic, Self));
        coordinator.Tell(ClusterStateProtocol.GetState.Instance);
    }

    /// <summary>Props for the subscriber.</summary>
    public static Props Props(IActorRef coordinator, IActorRef mediator, Action<ClusterState> onState) =>
        Akka.Actor.Props.Create(() => new ClusterStateSubscriber(coordinator, mediator, onState));

    /// <inheritdoc />
    public ITimerScheduler Timers { get; set; } = null!;

    /// <inheritdoc />
    protected override void PreStart() => Timers.StartPeriodicTimer(AskAgain.Instance, AskAgain.Instance, TimeSpan.FromSeconds(1));

    private void Take(ClusterState state, Action<ClusterState> onState)
    {
        if (state.Version <= _version) return;
        _version = state.Version;
        onState(state);
    }

    private sealed record AskAgain
    {
        public static readonly AskAgain Instance = new();
    }
}
