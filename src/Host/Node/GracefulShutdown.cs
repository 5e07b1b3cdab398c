using Akka.Actor;
using Appliance.Actors.Instance;
using Appliance.Actors.Node;
using Appliance.Actors.Protocol;
using Appliance.Nodes.Postgres;
using Appliance.Nodes.State;

namespace Appliance.Host.Node;

/// <summary>
/// The planned stop of a node (SIGTERM, Ctrl-C). Registered after the actor system, so it runs before the actor system
/// leaves the cluster:
/// <list type="number">
/// <item>a primary with a caught-up sync asks the coordinator for a switchover to it, so the new primary takes
///   writes within about a second or two instead of after a failure detector's timeout;</item>
/// <item>the node actor stops (nothing restarts PostgreSQL behind our back), and the coordinator is told that this
///   node departs, so it does not wait for a report lease to run out;</item>
/// <item>PostgreSQL stops (fast shutdown);</item>
/// <item>then Akka.Hosting runs the coordinated shutdown: the member leaves the cluster gracefully and hands the
///   coordinator singleton over if it held it.</item>
/// </list>
/// The switchover comes before leaving because a primary that has left cannot hand over: the coordinator would see it
/// gone and the sync would take over only after the report lease, with writes blocked meanwhile.
/// </summary>
internal sealed class GracefulShutdown(ClusterAccess access, ILogger<GracefulShutdown> log) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        var name = access.Options.Name;
        log.LogInformation("Node {Name} shutting down: hand-over (if primary), departure, PostgreSQL stop, then leaving the cluster", name);
        IReadOnlyList<Actors.Placement.LocalInstance> local;
        try
        {
            local = await access.LocalAsync(cancellationToken).WaitAsync(TimeSpan.FromSeconds(2), cancellationToken);
        }
        catch (Exception e)
        {
            log.LogWarning("Node {Name}: cannot find its instances: {Error}", name, e.Message);
            // Whatever else failed, PostgreSQL must not outlive its host process.
            if (access.SingleInstance is { } single) await StopPostgresAsync(single, name, cancellationToken);
            return;
        }
        foreach (var instance in local)
        {
            try
            {
                await HandOverAsync(instance, cancellationToken);
            }
            catch (Exception e)
            {
                log.LogWarning("Node {Name}: no switchover on shutdown for {Peer}: {Error}", name, instance.Instance.Peer.Id, e.Message);
            }
        }
        foreach (var instance in local)
        {
            var peer = instance.Instance.Peer.Id;
            try
            {
                await instance.Node.GracefulStop(TimeSpan.FromSeconds(10));
                await access.DepartAsync(peer, "planned shutdown", cancellationToken).WaitAsync(TimeSpan.FromSeconds(2), cancellationToken);
            }
            catch (Exception e)
            {
                log.LogWarning("Node {Name}: could not stop the node actor of {Peer} cleanly: {Error}", name, peer, e.Message);
            }
            await StopPostgresAsync(instance.Instance, peer, cancellationToken);
            // In placement mode the entity disposes its instance when the shard hands it off.
            if (!access.Options.IsPlacement && instance.Instance is IAsyncDisposable disposable) await disposable.DisposeAsync();
        }
    }

    private async Task StopPostgresAsync(IDatabaseInstance instance, string peer, CancellationToken ct)
    {
        try
        {
            await instance.StopAsync(ct);
            log.LogInformation("Node {Name}: PostgreSQL stopped ({Peer})", access.Options.Name, peer);
        }
        catch (Exception e)
        {
            log.LogError("Node {Name}: stopping PostgreSQL of {Peer} failed: {Error}", access.Options.Name, peer, e.Message);
        }
    }

    private static readonly TimeSpan CatchUpWait = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan CatchUpPoll = TimeSpan.FromMilliseconds(100);

    /// <summary>Runs the steps <see cref="ShutdownHandOver"/> decides: reads of the sync's link, then perhaps a switchover.</summary>
    private async Task HandOverAsync(Actors.Placement.LocalInstance instance, CancellationToken ct)
    {
        var name = access.Options.Name;
        var snapshot = await instance.Node.Ask<NodeSnapshot>(GetNodeSnapshot.Instance, ClusterAccess.NodeTimeout, ct);
        var step = ShutdownHandOver.Begin(snapshot.State, snapshot.Peer, snapshot.AppliedRole);
        var probe = InstanceProbe.Of(snapshot.Peer, access.Credentials, TimeSpan.FromSeconds(2));
        for (var waited = TimeSpan.Zero; step is HandOverStep.ReadSyncLink read; waited += CatchUpPoll)
        {
            if (waited > TimeSpan.Zero) await Task.Delay(CatchUpPoll, ct);
            var downstream = await probe.ReadDownstreamAsync(read.Sync.Id, ct).WaitAsync(TimeSpan.FromSeconds(3), ct);
            var link = downstream is null ? null : new SyncLink(downstream.IsStreaming, downstream.CaughtUp, downstream.State);
            step = ShutdownHandOver.OnSyncLink(snapshot.State!, link, waited, CatchUpWait);
        }
        switch (step)
        {
            case HandOverStep.StopWithout { Warn: true } without:
                log.LogWarning("Node {Name}: {Why}", name, without.Why);
                return;
            case HandOverStep.StopWithout without:
                log.LogInformation("Node {Name}: {Why}", name, without.Why);
                return;
            case HandOverStep.SwitchOver switchOver:
                log.LogInformation("Node {Name} is the primary: switching over to sync {Sync} before stopping", name, switchOver.Sync.Id);
                var answer = await access.SubmitAsync(new OperatorCommand.Switchover(switchOver.Sync.Id) { ExpectedGeneration = switchOver.ExpectedGeneration }, ct);
                switch (answer)
                {
                    case OperatorProtocol.Accepted a:
                        log.LogInformation("Node {Name}: switchover accepted (generation {Generation}): {Detail}", name, a.Recorded.State.Generation, a.Recorded.Detail);
                        break;
                    case OperatorProtocol.Refused r:
                        log.LogWarning("Node {Name}: switchover refused ({Reason}): {Detail}", name, r.Reason, r.Detail);
                        break;
                }
                return;
        }
    }
}
