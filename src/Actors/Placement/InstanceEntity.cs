using Akka.Actor;
using Akka.Cluster.Sharding;
using Akka.Event;
using Appliance.Actors.Instance;
using Appliance.Actors.Node;
using Appliance.Actors.Protocol;
using Appliance.Nodes.State;

namespace Appliance.Actors.Placement;

/// <summary>
/// The sharded entity of one database instance on the host the placement strategy chose. It creates the instance's
/// incarnation on this host (peer <c>INSTANCE.HOST</c>, its data directory under the host's data root, its port from
/// the host's base port) and runs a <see cref="DatabaseNodeActor"/> for it, which does everything else: a new
/// incarnation finds an empty data directory, is appended to the async tail by the coordinator, and clones from its
/// upstream like any new async.
/// </summary>
/// <remarks>
/// When the entity stops (moved by a rebalance, passivated by a scale-down, or the host shuts down) it stops its
/// PostgreSQL. A crashed host runs no code at all; its instance is re-created elsewhere by remember-entities and the
/// dead incarnation leaves the state by the rules.
/// </remarks>
public sealed class InstanceEntity : ReceiveActor
{
    private readonly string _instanceId;
    private readonly Func<string, IDatabaseInstance> _createInstance;
    private readonly Func<IDatabaseInstance, Props> _nodeProps;
    private readonly LocalInstances _local;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private LocalInstance? _registered;

    /// <summary>Creates the entity.</summary>
    /// <param name="instanceId">The instance (the entity id).</param>
    /// <param name="createInstance">Creates this host's incarnation of an instance.</param>
    /// <param name="nodeProps">Props of the node actor for an incarnation.</param>
    /// <param name="local">The registry of this host's instances.</param>
    public InstanceEntity(string instanceId, Func<string, IDatabaseInstance> createInstance, Func<IDatabaseInstance, Props> nodeProps, LocalInstances local)
    {
        _instanceId = instanceId;
        _createInstance = createInstance;
        _nodeProps = nodeProps;
        _local = local;

        Receive<InstanceProtocol.StartInstance>(_ => { });
        Receive<InstanceProtocol.StopInstance>(_ =>
        {
            _log.Info("Instance {0} ({1}) stops for good (scale down).", _instanceId, _registered?.Instance.Peer.Id);
            Context.Parent.Tell(new Passivate(PoisonPill.Instance));
        });
        Receive<GetNodeSnapshot>(m =>
        {
            if (_registered is { } r) r.Node.Forward(m);
        });
        Receive<Terminated>(t => _log.Info("The node actor of {0} stopped ({1}).", _instanceId, t.ActorRef.Path));
    }

    /// <summary>Props of the entity.</summary>
    public static Props Props(string instanceId, Func<string, IDatabaseInstance> createInstance, Func<IDatabaseInstance, Props> nodeProps, LocalInstances local) =>
        Akka.Actor.Props.Create(() => new InstanceEntity(instanceId, createInstance, nodeProps, local));

    /// <inheritdoc />
    protected override void PreStart()
    {
        var instance = _createInstance(_instanceId);
        var node = Context.ActorOf(_nodeProps(instance), "node");
        Context.Watch(node);
        _registered = new LocalInstance(_instanceId, node, instance, Self);
        _local.Add(_registered);
        _log.Info("Instance {0} runs here as {1} (PostgreSQL on {2}:{3}).", _instanceId, instance.Peer.Id, instance.Peer.Host, instance.Peer.Port);
    }

    /// <inheritdoc />
    protected override void PostStop()
    {
        if (_registered is not { } r) return;
        _local.Remove(r);
        var log = _log;
        var peer = r.Instance.Peer;
        // The actor is gone; stopping PostgreSQL must not wait on its mailbox. The driver serialises it with anything
        // still running on the instance, and a planned host shutdown has stopped it already (idempotent).
        _ = StopAsync(r.Instance, peer, log);
    }

    private static async Task StopAsync(IDatabaseInstance instance, PeerId peer, ILoggingAdapter log)
    {
        try
        {
            await instance.StopAsync(CancellationToken.None).ConfigureAwait(false);
            log.Info("{0}: PostgreSQL stopped with its entity.", peer.Id);
        }
        catch (Exception e)
        {
            log.Warning("{0}: stopping PostgreSQL with its entity failed: {1}", peer.Id, e.Message);
        }
        finally
        {
            if (instance is IAsyncDisposable d) await d.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>The node actor is restarted on a bug; its PostgreSQL work is retried by its own role supervisors.</summary>
    protected override SupervisorStrategy SupervisorStrategy() => new OneForOneStrategy(_ => Directive.Restart);
}
