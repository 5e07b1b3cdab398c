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
/// <remarks>
/// The coordinator republishes its state on the topic every <c>topic-republish-interval</c> (2 s by default), so a
/// subscriber that hears nothing for 3 s is not being reached by pub-sub: a coordinator that has just started on another node publishes
/// through a mediator whose registry may not hold this subscription yet, and pub-sub delivers at most once. Such a
/// subscriber asks the coordinator directly once a second until states flow again.
/// </remarks>
public sealed class ClusterStateSubscriber : ReceiveActor, IWithTimers
{
    /// <summary>How long a subscriber that has a state waits without hearing one before it asks the coordinator.</summary>
    public static readonly TimeSpan DefaultSilence = TimeSpan.FromSeconds(3);

    private readonly System.Diagnostics.Stopwatch _sinceHeard = System.Diagnostics.Stopwatch.StartNew();
    private long _version;

    /// <summary>Creates the subscriber.</summary>
    /// <param name="coordinator">The coordinator singleton's proxy.</param>
    /// <param name="mediator">The distributed pub-sub mediator.</param>
    /// <param name="onState">Called with every newer state, on the actor's thread; it must not block.</param>
    /// <param name="silence">How long without any state before it asks the coordinator; <see cref="DefaultSilence"/> if null.</param>
    public ClusterStateSubscriber(IActorRef coordinator, IActorRef mediator, Action<ClusterState> onState, TimeSpan? silence = null)
    {
        var askAfter = silence ?? DefaultSilence;
        Receive<ClusterStateProtocol.StateChanged>(changed => Take(changed.State, onState));
        Receive<ClusterStateProtocol.CurrentState>(current => { if (current.State is { } state) Take(state, onState); });
        Receive<SubscribeAck>(_ => { });
        Receive<AskAgain>(_ =>
        {
            if (_version == 0 || _sinceHeard.Elapsed >= askAfter) coordinator.Tell(ClusterStateProtocol.GetState.Instance);
        });
        mediator.Tell(new Subscribe(ClusterStateProtocol.Topic, Self));
        coordinator.Tell(ClusterStateProtocol.GetState.Instance);
    }

    /// <summary>Props for the subscriber.</summary>
    public static Props Props(IActorRef coordinator, IActorRef mediator, Action<ClusterState> onState, TimeSpan? silence = null) =>
        Akka.Actor.Props.Create(() => new ClusterStateSubscriber(coordinator, mediator, onState, silence));

    /// <inheritdoc />
    public ITimerScheduler Timers { get; set; } = null!;

    /// <inheritdoc />
    protected override void PreStart() => Timers.StartPeriodicTimer(AskAgain.Instance, AskAgain.Instance, TimeSpan.FromSeconds(1));

    private void Take(ClusterState state, Action<ClusterState> onState)
    {
        _sinceHeard.Restart();
        if (state.Version <= _version) return;
        _version = state.Version;
        onState(state);
    }

    private sealed record AskAgain
    {
        public static readonly AskAgain Instance = new();
    }
}
