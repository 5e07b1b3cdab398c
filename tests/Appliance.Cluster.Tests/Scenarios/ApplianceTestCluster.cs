using System.Collections.Concurrent;
using Akka.Actor;
using Akka.Hosting;
using Appliance.Actors.Instance;
using Appliance.Actors.Node;
using Appliance.Actors.Protocol;
using Appliance.Host.Node;
using Appliance.Nodes.Postgres;
using Appliance.Nodes.State;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Xunit.Abstractions;

namespace Appliance.Cluster.Tests.Scenarios;

/// <summary>
/// Real appliance nodes in one test process: each has its own Akka.Hosting host and actor system (remoting on
/// loopback, the production reference configurations), its own PostgreSQL 15 server, and all share one SQLite state
/// store. A node can be killed abruptly (its actor system aborted and its postmaster SIGKILLed) and started again on
/// the same ports and data directory.
/// </summary>
internal sealed class ApplianceTestCluster : IAsyncDisposable
{
    public const string Password = "appliance-test-pw";

    private readonly TestCluster _scratch = new();
    private readonly ITestOutputHelper _output;
    private readonly ConcurrentDictionary<string, RunningNode> _running = new();
    private readonly ConcurrentDictionary<string, Address> _lastAddress = new();
    private readonly List<NodeOptions> _nodes = [];
    private readonly DateTimeOffset _started = DateTimeOffset.UtcNow;

    /// <param name="output">Where the harness and every node log.</param>
    /// <param name="size">How many nodes.</param>
    /// <param name="rejoin">The nodes' rejoin policy.</param>
    /// <param name="relieveCoordinatorHost">
    /// Whether the coordinator moves roles off its own host once the cluster is quiet (production default). Off unless
    /// a test is about it: the other scenarios assert the role flows of failover and switchover alone, and a planned
    /// move 15 s into a quiet spell would race with their later steps.
    /// </param>
    public ApplianceTestCluster(ITestOutputHelper output, int size, RejoinPolicy rejoin = RejoinPolicy.Auto, bool relieveCoordinatorHost = false)
    {
        _output = output;
        var akkaPorts = Enumerable.Range(0, size).Select(_ => TestCluster.FreePort()).ToList();
        for (var i = 0; i < size; i++)
            _nodes.Add(new NodeOptions
            {
                Name = $"pg-{i + 1}",
                Host = "127.0.0.1",
                AkkaPort = akkaPorts[i],
                PgPort = TestCluster.FreePort(),
                DataDir = Path.Combine(_scratch.Path_, $"pg-{i + 1}"),
                SeedNodes = [.. akkaPorts.Select(p => $"127.0.0.1:{p}")],
                StateStore = $"sqlite:{Path.Combine(_scratch.Path_, "state.db")}",
                PgPassword = Password,
                Rejoin = rejoin,
                ExtraHocon = $"""
                    akka.loglevel = INFO
                    akka.stdout-loglevel = WARNING
                    akka.coordinated-shutdown.exit-clr = off
                    akka.coordinated-shutdown.run-by-clr-shutdown-hook = off
                    {(relieveCoordinatorHost ? "" : "appliance.coordinator.relieve-host-after = off")}
                    """,
            });
    }

    public IReadOnlyList<string> Names => [.. _nodes.Select(n => n.Name)];

    /// <summary>The Akka seed addresses of the cluster, for an application that joins it.</summary>
    public IEnumerable<string> SeedAddresses => _nodes[0].SeedAddresses;

    public IEnumerable<string> Running => _running.Keys;

    public void Log(string line)
    {
        try { _output.WriteLine($"[{(DateTimeOffset.UtcNow - _started).TotalSeconds,7:0.00}s] {line}"); }
        catch (InvalidOperationException) { }   // a node still logging after its test ended
    }

    public PostgresDriver Driver(string name) => _running[name].Driver;

    /// <summary>
    /// Starts a node, or starts a killed or stopped one again on its old ports and data directory, the way a service
    /// manager brings a node back: first it waits until the running nodes have removed the old incarnation (systemd's
    /// <c>RestartSec</c>), and if the new one is not an Up member within <see cref="JoinPatience"/> it stops it and
    /// starts it once more, as <c>JoinWatch</c>'s exit 75 and the service manager would. Akka's classic remoting can
    /// keep peers tied to a dead incarnation on the same address (BENCHMARKS §5 finding 7: the peers answer its
    /// InitJoin, but nothing of theirs reaches it); in CI that left a restarted node outside the cluster for good.
    /// </summary>
    public async Task StartAsync(string name)
    {
        var restart = _lastAddress.TryGetValue(name, out var previous);
        if (restart && !_running.IsEmpty)
            await ClusterFormation.RemovedAsync(Systems, previous!, $"the running nodes removed {name}'s last incarnation", TimeSpan.FromSeconds(60));
        await LaunchAsync(name);
        if (!restart || _running.Count < 2) return;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await AllUpAsync(JoinPatience);
                return;
            }
            catch (TimeoutException) when (attempt < 3)
            {
                Log($"{name} is not an Up member after {JoinPatience.TotalSeconds:0} s; stopping it and starting it again (attempt {attempt + 1})");
                await StopAsync(name);
                await LaunchAsync(name);
            }
        }
    }

    /// <summary>How long a restarted node may take to become an Up member, as <c>JoinWatch</c> allows a node process.</summary>
    private static readonly TimeSpan JoinPatience = TimeSpan.FromSeconds(60);

    private async Task LaunchAsync(string name)
    {
        var options = _nodes.Single(n => n.Name == name);
        Directory.CreateDirectory(options.DataDir);
        if (OperatingSystem.IsLinux()) File.SetUnixFileMode(options.DataDir, (UnixFileMode)0b111_101_101);
        var settings = ApplianceNodeHosting.DriverSettings(options) with
        {
            Tuning = TestCluster.SmallTuning,
            Timeouts = TestCluster.TestTimeouts,
        };
        var driver = new PostgresDriver(settings, await TestCluster.Binaries(), ServerLog(name));
        var builder = new HostApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.AddProvider(new NodeLogForwarder(name, Log));
        builder.Services.AddApplianceNode(options, new PostgresDatabaseInstance(driver));
        var host = builder.Build();
        await host.StartAsync();
        _running[name] = new RunningNode(host, driver);
        _lastAddress[name] = Akka.Cluster.Cluster.Get(host.Services.GetRequiredService<ActorSystem>()).SelfAddress;
        Log($"{name} started (akka {options.AkkaPort}, postgres {options.PgPort})");
    }

    /// <summary>With APPLIANCE_TEST_LOGS=DIR set, each node's PostgreSQL log goes to DIR/&lt;name&gt;-&lt;start time&gt;.log.</summary>
    private static Action<string>? ServerLog(string name) => TestCluster.ServerLogSink($"{name}-{DateTimeOffset.UtcNow:HHmmss}");

    /// <summary>
    /// Starts every node, as an operator brings up a fleet, and waits until all are Up members. The formation rule lets
    /// the lowest address of a majority of the seeds form the cluster and everyone else join a member that answered,
    /// so there is no race between seeds: under Akka's seed process, nodes joining at once through different seeds
    /// could form a cluster with two leaders for a moment, and this harness had to start them one by one.
    /// </summary>
    public async Task StartAllAsync()
    {
        foreach (var name in Names) await LaunchAsync(name);
        await AllUpAsync(TimeSpan.FromSeconds(120));
    }

    private IReadOnlyCollection<ActorSystem> Systems() => [.. _running.Values.Select(n => n.Host.Services.GetRequiredService<ActorSystem>())];

    private Task AllUpAsync(TimeSpan timeout) =>
        ClusterFormation.AllUpAsync(Systems, "every running node is an Up member, none unreachable", timeout);

    /// <summary>
    /// Kills a node as a crash of its machine would: the postmaster gets SIGKILL and the actor system stops dead.
    /// Returns the moment the postmaster was gone, from which failover time is measured.
    /// </summary>
    public async Task<DateTimeOffset> KillAsync(string name)
    {
        if (!_running.TryRemove(name, out var node)) throw new InvalidOperationException($"{name} is not running");
        // The actor system dies first: killed the other way round, the dying node's role could see its PostgreSQL
        // exit and start it again in the moment before the abort, and that server would outlive the "crash".
        ((ExtendedActorSystem)node.Host.Services.GetRequiredService<ActorSystem>()).Abort();
        await node.Driver.KillAsync(default);
        var dead = DateTimeOffset.UtcNow;
        Log($"{name} killed");
        await StopHostQuietly(node.Host);
        return dead;
    }

    /// <summary>Stops a node's process cleanly (leaving the cluster), leaving PostgreSQL as the node left it, then stops PostgreSQL.</summary>
    public async Task StopAsync(string name)
    {
        if (!_running.TryRemove(name, out var node)) throw new InvalidOperationException($"{name} is not running");
        await StopHostQuietly(node.Host);
        await node.Driver.StopAsync(default);
        Log($"{name} stopped");
    }

    private async Task StopHostQuietly(IHost host)
    {
        try { await host.StopAsync(TimeSpan.FromSeconds(20)).WaitAsync(TimeSpan.FromSeconds(30)); }
        catch (Exception e) { Log($"host stop: {e.GetType().Name}: {e.Message}"); }
        host.Dispose();
    }

    private IActorRef NodeActor(string name) =>
        _running[name].Host.Services.GetRequiredService<ActorRegistry>().Get<DatabaseNodeKey>();

    private IActorRef Coordinator(string name) =>
        _running[name].Host.Services.GetRequiredService<ActorRegistry>().Get<CoordinatorKey>();

    /// <summary>The running node whose member is the oldest Up one, where the coordinator singleton runs.</summary>
    public string CoordinatorHost()
    {
        var running = _running.ToDictionary(r => Akka.Cluster.Cluster.Get(r.Value.Host.Services.GetRequiredService<ActorSystem>()).SelfAddress, r => r.Key);
        var view = Akka.Cluster.Cluster.Get(_running.Values.First().Host.Services.GetRequiredService<ActorSystem>()).State;
        var oldest = view.Members.Where(m => m.Status == Akka.Cluster.MemberStatus.Up).OrderBy(m => m, Akka.Cluster.Member.AgeOrdering).First();
        return running[oldest.Address];
    }

    /// <summary>Every state the coordinator wrote, asked through <paramref name="via"/>.</summary>
    public async Task<IReadOnlyList<ClusterStateProtocol.StateRecorded>> HistoryAsync(string via) =>
        (await Coordinator(via).Ask<ClusterStateProtocol.History>(ClusterStateProtocol.GetHistory.Instance, TimeSpan.FromSeconds(15))).Entries;

    public Task<NodeSnapshot> SnapshotAsync(string name) =>
        NodeActor(name).Ask<NodeSnapshot>(GetNodeSnapshot.Instance, TimeSpan.FromSeconds(5));

    /// <summary>The coordinator's current state, asked through <paramref name="via"/>'s singleton proxy.</summary>
    public Task<ClusterStateProtocol.CurrentState> CoordinatorStateAsync(string via) =>
        Coordinator(via).Ask<ClusterStateProtocol.CurrentState>(ClusterStateProtocol.GetState.Instance, TimeSpan.FromSeconds(15));

    public async Task<object> SubmitAsync(string via, OperatorCommand command) =>
        await Coordinator(via).Ask<object>(new OperatorProtocol.Submit(command), TimeSpan.FromSeconds(30));

    /// <summary>Waits until the state held by every running node satisfies <paramref name="accept"/>, and returns it.</summary>
    public async Task<ClusterState> StateAsync(Func<ClusterState, bool> accept, string what, TimeSpan? timeout = null)
    {
        var state = await Eventually.ReturnsAsync(async () =>
        {
            ClusterState? agreed = null;
            foreach (var name in _running.Keys)
            {
                var held = (await SnapshotAsync(name)).State;
                if (held is null || !accept(held)) return null;
                if (agreed is null || held.Version > agreed.Version) agreed = held;
            }
            return agreed;
        }, s => s is not null, what, timeout ?? TimeSpan.FromSeconds(120));
        Log($"state: {state}");
        return state!;
    }

    /// <summary>Waits until <paramref name="name"/> is the primary and takes writes.</summary>
    public Task<NodeSnapshot> WritableAsync(string name, TimeSpan? timeout = null) =>
        Eventually.ReturnsAsync(() => SnapshotAsync(name), s => s.AppliedRole == PeerRole.Primary && s.ReadWrite,
            $"{name} takes writes", timeout ?? TimeSpan.FromSeconds(120));

    public async ValueTask DisposeAsync()
    {
        foreach (var name in _running.Keys.ToList())
        {
            try { await KillAsync(name); }
            catch (Exception e) { Log($"cleanup of {name}: {e.Message}"); }
        }
        await _scratch.DisposeAsync();
    }

    private sealed record RunningNode(IHost Host, PostgresDriver Driver);
}
