using Akka.Actor;
using Akka.Event;
using Appliance.Actors.Protocol;
using Appliance.Nodes.Placement;

namespace Appliance.Actors.Placement;

/// <summary>
/// Makes sure every instance of the cluster size runs somewhere: on a timer it sends
/// <see cref="InstanceProtocol.StartInstance"/> for <c>pg-1</c> … <c>pg-N</c> through the shard region. Remembered
/// entities re-create instances whose host is lost; the starter covers the first start and instances the placement
/// strategy could not place yet (no host with room), which are retried on every tick. One per host: the messages
/// are idempotent, and no singleton hand-over can delay them.
/// </summary>
public sealed class InstanceStarter : ReceiveActor, IWithTimers
{
    private readonly IActorRef _region;
    private readonly TimeSpan _interval;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private int _size;

    /// <summary>Creates the starter.</summary>
    /// <param name="region">The instances' shard region.</param>
    /// <param name="size">The number of instances to run.</param>
    /// <param name="interval">How often to send the start messages.</param>
    public InstanceStarter(IActorRef region, int size, TimeSpan interval)
    {
        _region = region;
        _size = size;
        _interval = interval;
        Receive<Tick>(_ => StartAll());
        Receive<SetSize>(m =>
        {
            if (m.Size == _size) return;
            _log.Info("Cluster size {0} → {1}.", _size, m.Size);
            _size = m.Size;
            StartAll();
        });
    }

    /// <summary>Props of the starter.</summary>
    public static Props Props(IActorRef region, int size, TimeSpan interval) =>
        Akka.Actor.Props.Create(() => new InstanceStarter(region, size, interval));

    /// <inheritdoc />
    public ITimerScheduler Timers { get; set; } = null!;

    /// <inheritdoc />
    protected override void PreStart() => Timers.StartPeriodicTimer(Tick.Instance, Tick.Instance, TimeSpan.Zero, _interval);

    private void StartAll()
    {
        foreach (var id in InstanceIds.For(_size)) _region.Tell(new InstanceProtocol.StartInstance(id));
    }

    /// <summary>Sets the number of instances to run (local to this host).</summary>
    /// <param name="Size">The new size.</param>
    public sealed record SetSize(int Size);

    private sealed record Tick
    {
        public static readonly Tick Instance = new();
    }
}
