using Akka.Actor;
using Appliance.Actors.Node;
using Appliance.Actors.Protocol;
using Appliance.Nodes.Postgres;
using Appliance.Nodes.State;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

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

    private async Task HandOverAsync(Actors.Placement.LocalInstance instance, CancellationToken ct)
    {
        var snapshot = await instance.Node.Ask<NodeSnapshot>(GetNodeSnapshot.Instance, ClusterAccess.NodeTimeout, ct);
        if (snapshot.State is not { } state || !state.Primary.Is(snapshot.Peer) || snapshot.AppliedRole != PeerRole.Primary) return;
        if (state.Singleton || state.Sync is not { } sync)
        {
            log.LogInformation("Node {Name} is a singleton primary: nobody to hand over to", access.Options.Name);
            return;
        }
        if (state.IsFrozen)
        {
            log.LogWarning("Node {Name} is the primary of a frozen cluster: no switchover; writes stop until it returns or the cluster is unfrozen", access.Options.Name);
            return;
        }
        var probe = InstanceProbe.Of(snapshot.Peer, access.Credentials, TimeSpan.FromSeconds(2));
        // Under a steady write load the sync is rarely caught up at one instant, so wait briefly for that, but a
        // streaming sync is enough: synchronous replication already holds every acknowledged commit there.
        var downstream = await probe.ReadDownstreamAsync(sync.Id, ct).WaitAsync(TimeSpan.FromSeconds(3), ct);
        for (var waited = TimeSpan.Zero; downstream is { IsStreaming: true, CaughtUp: false } && waited < CatchUpWait; waited += CatchUpPoll)
        {
            await Task.Delay(CatchUpPoll, ct);
            downstream = await probe.ReadDownstreamAsync(sync.Id, ct).WaitAsync(TimeSpan.FromSeconds(3), ct);
        }
        if (downstream is not { IsStreaming: true })
        {
            log.LogWarning("Node {Name}: sync {Sync} is not streaming ({State}); stopping without a switchover", access.Options.Name, sync.Id,
                downstream?.State ?? "not connected");
            return;
        }
        log.LogInformation("Node {Name} is the primary: switching over to sync {Sync} before stopping", access.Options.Name, sync.Id);
        var answer = await access.SubmitAsync(new OperatorCommand.Switchover(sync.Id) { ExpectedGeneration = state.Generation }, ct);
        switch (answer)
        {
            case OperatorProtocol.Accepted a:
                log.LogInformation("Node {Name}: switchover accepted (generation {Generation}): {Detail}", access.Options.Name, a.Recorded.State.Generation, a.Recorded.Detail);
                break;
            case OperatorProtocol.Refused r:
                log.LogWarning("Node {Name}: switchover refused ({Reason}): {Detail}", access.Options.Name, r.Reason, r.Detail);
                break;
        }
    }
}
