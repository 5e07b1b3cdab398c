using Akka.Actor;
using Akka.Event;
using Appliance.Actors.Protocol;
using Appliance.Nodes.State;

namespace Appliance.Actors.Placement;

/// <summary>
/// Keeps the instances of the cluster size running, one starter per host. On a timer it sends
/// <see cref="InstanceProtocol.StartInstance"/> for <c>pg-1</c> … <c>pg-N</c> through the shard region, where N is the
/// size the cluster state records (<see cref="ClusterState.Instances"/>, after an operator's scale) or else the
/// configured cluster size. Remembered entities re-create instances whose host is lost; the starter covers the first
/// start and instances the placement strategy could not place yet (no host with room), retried on every tick. The
/// messages are idempotent, and no singleton hand-over can delay them.
/// </summary>
/// <remarks>
/// After a scale-down it stops the instances above the size that run on this host (each entity passivates, which
/// also forgets it as a remembered entity, and stops its PostgreSQL). The rules took them out of the chain already;
/// an instance the state names as primary or sync is never stopped (a failover may have moved it up after the scale
/// was accepted): it waits until a switchover makes it an async.
/// </remarks>
public sealed class InstanceStarter : ReceiveActor, IWithTimers
{
    private readonly IActorRef _region;
    private readonly LocalInstances _local;
    private readonly IActorRef _coordinator;
    private readonly int _configuredSize;
    private readonly TimeSpan _interval;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private ClusterState? _state;

    /// <summary>Creates the starter.</summary>
    /// <param name="region">The instances' shard region.</param>
    /// <param name="local">The instances on this host.</param>
    /// <param name="coordinator">The coordinator (singleton proxy), asked for the state on every tick.</param>
    /// <param name="configuredSize">The configured cluster size, until the state records a scaled one.</param>
    /// <param name="interval">How often to send the start messages.</param>
    public InstanceStarter(IActorRef region, LocalInstances local, IActorRef coordinator, int configuredSize, TimeSpan interval)
    {
        _region = region;
        _local = local;
        _coordinator = coordinator;
        _configuredSize = configuredSize;
        _interval = interval;
        Receive<Tick>(_ =>
        {
            _coordinator.Tell(ClusterStateProtocol.GetState.Instance);
            StartAll();
            StopAboveSize();
        });
        Receive<ClusterStateProtocol.CurrentState>(m =>
        {
            if (m.State is { } s && (_state is null || s.Version > _state.Version)) _state = s;
        });
    }

    /// <summary>Props of the starter.</summary>
    public static Props Props(IActorRef region, LocalInstances local, IActorRef coordinator, int configuredSize, TimeSpan interval) =>
        Akka.Actor.Props.Create(() => new InstanceStarter(region, local, coordinator, configuredSize, interval));

    /// <inheritdoc />
    public ITimerScheduler Timers { get; set; } = null!;

    private int Size => _state?.Instances ?? _configuredSize;

    /// <inheritdoc />
    protected override void PreStart() => Timers.StartPeriodicTimer(Tick.Instance, Tick.Instance, TimeSpan.Zero, _interval);

    private void StartAll()
    {
        foreach (var id in InstanceIds.For(Size)) _region.Tell(new InstanceProtocol.StartInstance(id));
    }

    private void StopAboveSize()
    {
        if (_state is not { Instances: { } size } state) return;   // only an operator's scale ever stops instances
        foreach (var instance in _local.All.Where(i => InstanceIds.NumberOf(i.InstanceId) > size && i.Entity is not null))
        {
            var peer = instance.Instance.Peer;
            if (state.Primary.Is(peer) || (state.Sync?.Is(peer) ?? false))
            {
                _log.Warning("Instance {0} ({1}) is above the size {2} but is the {3}; it stops once a switchover makes it an async.",
                    instance.InstanceId, peer.Id, size, state.Primary.Is(peer) ? "primary" : "sync");
                continue;
            }
            _log.Info("Instance {0} ({1}) is above the size {2}: stopping it.", instance.InstanceId, peer.Id, size);
            instance.Entity!.Tell(new InstanceProtocol.StopInstance(instance.InstanceId));
        }
    }

    private sealed record Tick
    {
        public static readonly Tick Instance = new();
    }
}
