using System.Collections.Immutable;
using Akka.Actor;
using Appliance.Actors.Instance;
using Appliance.Actors.Node;
using Appliance.Actors.Protocol;
using Appliance.Nodes.Postgres;
using Appliance.Nodes.State;

namespace Appliance.Cluster.Tests;

/// <summary>
/// Real PostgreSQL instances, each under a <see cref="DatabaseNodeActor"/> in one actor system, with the test playing
/// the coordinator: it sends states and fences and reads the nodes' reports.
/// </summary>
internal sealed class NodeActorHarness : IAsyncDisposable
{
    private readonly TestCluster _scratch = new();

    public static readonly DatabaseNodeSettings Options = DatabaseNodeSettings.Default with
    {
        ReportInterval = TimeSpan.FromMilliseconds(200),
        CoordinatorLease = TimeSpan.FromHours(1),   // the test does not republish; tests of the lease shorten it
        CatchUpProgressTimeout = TimeSpan.FromSeconds(30),
        MinRetryBackoff = TimeSpan.FromMilliseconds(200),
        MaxRetryBackoff = TimeSpan.FromSeconds(2),
    };

    public ImmutableDictionary<string, PeerId> Peers { get; private set; } = ImmutableDictionary<string, PeerId>.Empty;

    public ImmutableDictionary<string, PostgresDriver> Drivers { get; private set; } = ImmutableDictionary<string, PostgresDriver>.Empty;

    public ImmutableDictionary<string, IActorRef> Actors { get; private set; } = ImmutableDictionary<string, IActorRef>.Empty;

    public Task StartAsync(ActorSystem system, IActorRef coordinator, RejoinPolicy rejoin, DatabaseNodeSettings options, params string[] ids) =>
        StartAsync(system, coordinator, rejoin, options, (_, instance) => instance, ids);

    /// <param name="wrap">Wraps each node's real instance, for tests that inject a fault into one of its operations.</param>
    public async Task StartAsync(ActorSystem system, IActorRef coordinator, RejoinPolicy rejoin, DatabaseNodeSettings options,
        Func<string, IDatabaseInstance, IDatabaseInstance> wrap, params string[] ids)
    {
        foreach (var id in ids)
        {
            var peer = TestCluster.Peer(id);
            var driver = await _scratch.NodeAsync(peer);
            Peers = Peers.Add(id, peer);
            Drivers = Drivers.Add(id, driver);
            Actors = Actors.Add(id, system.ActorOf(
                DatabaseNodeActor.Props(wrap(id, new PostgresDatabaseInstance(driver)), coordinator, null, options, rejoin), id));
        }
    }

    /// <summary>
    /// Stops <paramref name="id"/>'s node actor, as a crash of the node process would, and starts a new one on the same
    /// data directory; what it kept on disk (the data, a fence) is all the new one knows.
    /// </summary>
    public async Task RestartActorAsync(ActorSystem system, string id, IActorRef coordinator, RejoinPolicy rejoin, DatabaseNodeSettings options)
    {
        await Actors[id].GracefulStop(TimeSpan.FromSeconds(60));
        Actors = Actors.SetItem(id, system.ActorOf(
            DatabaseNodeActor.Props(new PostgresDatabaseInstance(Drivers[id]), coordinator, null, options, rejoin), $"{id}-restarted-{Guid.NewGuid():N}"));
    }

    public ClusterState State(long version, long generation, string primary, string? sync, string[]? asyncs = null,
        string[]? deposed = null, Lsn? initWal = null) => new()
    {
        Version = version,
        Generation = generation,
        Primary = Peers[primary],
        Sync = sync is null ? null : Peers[sync],
        Async = [.. (asyncs ?? []).Select(a => Peers[a])],
        Deposed = [.. (deposed ?? []).Select(d => Peers[d])],
        InitWal = initWal ?? Lsn.Zero,
        Singleton = sync is null,
    };

    public void Publish(ClusterState state)
    {
        foreach (var actor in Actors.Values) actor.Tell(new ClusterStateProtocol.StateChanged(state.Version, state));
    }

    /// <summary>Republishes <paramref name="state"/> every half second, as the coordinator does on its tick, until disposed.</summary>
    public IAsyncDisposable Heartbeat(ClusterState state)
    {
        var stop = new CancellationTokenSource();
        var loop = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                Publish(state);
                try { await Task.Delay(TimeSpan.FromMilliseconds(500), stop.Token); }
                catch (OperationCanceledException) { }
            }
        });
        return new Stopper(stop, loop);
    }

    private sealed class Stopper(CancellationTokenSource stop, Task loop) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await stop.CancelAsync();
            await loop;
            stop.Dispose();
        }
    }

    public Task<NodeSnapshot> SnapshotAsync(string id) =>
        Actors[id].Ask<NodeSnapshot>(GetNodeSnapshot.Instance, TimeSpan.FromSeconds(5));

    /// <summary>Polls the node until its snapshot satisfies <paramref name="accept"/>.</summary>
    public Task<NodeSnapshot> UntilAsync(string id, Func<NodeSnapshot, bool> accept, string what, TimeSpan? timeout = null) =>
        Eventually.ReturnsAsync(() => SnapshotAsync(id), accept, $"{id}: {what}", timeout ?? TimeSpan.FromSeconds(90));

    public async ValueTask DisposeAsync() => await _scratch.DisposeAsync();
}
