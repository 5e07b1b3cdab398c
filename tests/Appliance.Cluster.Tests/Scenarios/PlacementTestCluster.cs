using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Akka.Actor;
using Akka.Hosting;
using Appliance.Actors.Instance;
using Appliance.Actors.Node;
using Appliance.Actors.Placement;
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
/// Hosts in placement mode in one test process: each has its own Akka.Hosting host and actor system (remoting on
/// loopback, the production HOCON), a base port and a data root, and runs whichever instances the shard region
/// places on it (each a real PostgreSQL 15). All share one SQLite state store. A host can be killed abruptly (actor
/// system aborted, its postmasters SIGKILLed) and new hosts can join at any time.
/// </summary>
internal sealed class PlacementTestCluster : IAsyncDisposable
{
    public const string Password = "appliance-test-pw";

    private static readonly HashSet<int> HandedOutBases = [];
    private readonly TestCluster _scratch = new();
    private readonly ITestOutputHelper _output;
    private readonly ConcurrentDictionary<string, RunningHost> _running = new();
    private readonly List<int> _seedPorts;
    private readonly int _size;
    private readonly string _extraHocon;
    private readonly DateTimeOffset _started = DateTimeOffset.UtcNow;
    private int _hosts;

    public PlacementTestCluster(ITestOutputHelper output, int size, int seeds = 3, bool allowColocation = false)
    {
        _output = output;
        _size = size;
        _seedPorts = [.. Enumerable.Range(0, seeds).Select(_ => TestCluster.FreePort())];
        _extraHocon = $"""
            akka.loglevel = INFO
            akka.stdout-loglevel = WARNING
            akka.coordinated-shutdown.exit-clr = off
            akka.coordinated-shutdown.run-by-clr-shutdown-hook = off
            appliance.placement.allow-colocation = {(allowColocation ? "on" : "off")}
            appliance.placement.start-interval = 1s
            appliance.coordinator.relieve-host-after = off
            """;
    }

    public IEnumerable<string> Running => _running.Keys;

    public void Log(string line)
    {
        try { _output.WriteLine($"[{(DateTimeOffset.UtcNow - _started).TotalSeconds,7:0.00}s] {line}"); }
        catch (InvalidOperationException) { }   // a host still logging after its test ended
    }

    /// <summary>
    /// Starts <paramref name="count"/> hosts the way an operator brings up a fleet without racing Akka's formation: the
    /// first two together (one alone never gets Up: min-nr-of-members is 2), then each further host once every running
    /// host is an Up member. Hosts that join at once through different seeds can form a cluster with two leaders for a
    /// moment; a singleton manager that saw itself as oldest then hands over and stays in Akka's End state, and no
    /// coordinator starts after the real oldest dies (in a node process, <c>SingletonWatch</c> restarts such a node).
    /// </summary>
    public async Task StartHostsAsync(int count, TimeSpan timeout)
    {
        for (var i = 0; i < count; i++)
        {
            await AddHostAsync();
            if (i >= 1) await AllUpAsync(timeout);
        }
    }

    /// <summary>
    /// Waits until every running host sees every running host as an Up member with none unreachable: a spare host that
    /// is part of the cluster. (A host still joining when another crashes may be downed by the split-brain resolver's
    /// down-all-when-unstable and exit, as a service manager would then restart it; this harness does not restart.)
    /// </summary>
    public Task AllUpAsync(TimeSpan timeout) =>
        ClusterFormation.AllUpAsync(() => [.. _running.Values.Select(h => h.Host.Services.GetRequiredService<ActorSystem>())],
            "every running host is an Up member, none unreachable", timeout);

    /// <summary>Starts the next host (<c>host-a</c>, <c>host-b</c>, …); the first hosts use the seed ports.</summary>
    public async Task<string> AddHostAsync()
    {
        var index = _hosts++;
        var name = $"host-{(char)('a' + index)}";
        var root = Path.Combine(_scratch.Path_, name);
        Directory.CreateDirectory(root);
        if (OperatingSystem.IsLinux()) File.SetUnixFileMode(root, (UnixFileMode)0b111_101_101);
        var basePort = BasePort(_size + 4);
        var options = new NodeOptions
        {
            Name = name,
            Host = "127.0.0.1",
            AkkaPort = index < _seedPorts.Count ? _seedPorts[index] : TestCluster.FreePort(),
            PgPort = basePort,
            DataDir = root,
            PgBasePort = basePort,
            DataRoot = root,
            SeedNodes = [.. _seedPorts.Select(p => $"127.0.0.1:{p}")],
            StateStore = $"sqlite:{Path.Combine(_scratch.Path_, "state.db")}",
            PgPassword = Password,
            ClusterSize = _size,
            ExtraHocon = _extraHocon,
        };
        var binaries = await TestCluster.Binaries();
        var builder = new HostApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.AddProvider(new NodeLogForwarder(name, Log));
        if (Environment.GetEnvironmentVariable("APPLIANCE_TEST_LOG") == "1")
            builder.Logging.AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss.fff "; });
        builder.Services.AddApplianceHost(options, id =>
        {
            var dir = Path.Combine(root, id);
            Directory.CreateDirectory(dir);
            if (OperatingSystem.IsLinux()) File.SetUnixFileMode(dir, (UnixFileMode)0b111_101_101);
            var settings = ApplianceNodeHosting.InstanceSettings(options, id) with
            {
                Tuning = TestCluster.SmallTuning,
                Timeouts = TestCluster.TestTimeouts,
            };
            return new PostgresDatabaseInstance(new PostgresDriver(settings, binaries));
        });
        var host = builder.Build();
        await host.StartAsync();
        _running[name] = new RunningHost(host, options);
        Log($"{name} started (akka {options.AkkaPort}, postgres base {options.PgBasePort})");
        return name;
    }

    /// <summary>The instances <paramref name="host"/> runs now.</summary>
    public IReadOnlyList<LocalInstance> Instances(string host) => _running[host].Host.Services.GetRequiredService<LocalInstances>().All;

    /// <summary>The running host whose instance is <paramref name="peer"/>, if any.</summary>
    public string? HostOf(PeerId peer) =>
        _running.Keys.FirstOrDefault(h => Instances(h).Any(i => i.Instance.Peer.Is(peer)));

    /// <summary>The driver of a running peer.</summary>
    public PostgresDriver? Driver(PeerId peer) =>
        _running.Keys.SelectMany(Instances).Where(i => i.Instance.Peer.Is(peer))
            .Select(i => ((PostgresDatabaseInstance)i.Instance).Driver).FirstOrDefault();

    /// <summary>Kills a host as a machine crash would: its actor system stops dead and its postmasters get SIGKILL.</summary>
    public async Task KillAsync(string name)
    {
        if (!_running.TryRemove(name, out var host)) throw new InvalidOperationException($"{name} is not running");
        var instances = host.Host.Services.GetRequiredService<LocalInstances>().All;
        ((ExtendedActorSystem)host.Host.Services.GetRequiredService<ActorSystem>()).Abort();
        foreach (var i in instances) await ((PostgresDatabaseInstance)i.Instance).Driver.KillAsync(default);
        Log($"{name} killed ({string.Join(", ", instances.Select(i => i.Instance.Peer.Id))})");
        try { await host.Host.StopAsync(TimeSpan.FromSeconds(20)).WaitAsync(TimeSpan.FromSeconds(30)); }
        catch (Exception e) { Log($"host stop: {e.GetType().Name}: {e.Message}"); }
        host.Host.Dispose();
    }

    private IActorRef Coordinator(string via) =>
        _running[via].Host.Services.GetRequiredService<ActorRegistry>().Get<CoordinatorKey>();

    /// <summary>The coordinator's current state, asked through any running host.</summary>
    public async Task<ClusterState?> CoordinatorStateAsync()
    {
        foreach (var name in _running.Keys)
        {
            try
            {
                return (await Coordinator(name).Ask<ClusterStateProtocol.CurrentState>(ClusterStateProtocol.GetState.Instance, TimeSpan.FromSeconds(5))).State;
            }
            catch (AskTimeoutException) { }
        }
        return null;
    }

    /// <summary>Submits an operator command through any running host; the answer is Accepted or Refused.</summary>
    public async Task<object> SubmitAsync(OperatorCommand command) =>
        await Coordinator(_running.Keys.First()).Ask<object>(new OperatorProtocol.Submit(command), TimeSpan.FromSeconds(30));

    /// <summary>Every state the coordinator wrote.</summary>
    public async Task<IReadOnlyList<ClusterStateProtocol.StateRecorded>> HistoryAsync() =>
        (await Coordinator(_running.Keys.First()).Ask<ClusterStateProtocol.History>(ClusterStateProtocol.GetHistory.Instance, TimeSpan.FromSeconds(15))).Entries;

    /// <summary>
    /// Waits until the coordinator's state satisfies <paramref name="accept"/> and every peer it names as primary,
    /// sync or async runs on a live host and has applied it.
    /// </summary>
    public async Task<ClusterState> StateAsync(Func<ClusterState, bool> accept, string what, TimeSpan timeout)
    {
        // Every state passed through while waiting goes to the log once, so a timeout shows where it stuck.
        var seen = new HashSet<string>();
        void Note(string line) { if (seen.Add(line)) Log($"seen: {line}"); }
        var state = await Eventually.ReturnsAsync(async () =>
        {
            var s = await CoordinatorStateAsync();
            var shown = s is null ? "no coordinator answers" : $"v{s.Version} {s.ToShortString()}";
            Note(shown);
            if (s is null || !accept(s)) return null;
            foreach (var peer in s.Async.Prepend(s.Sync).Prepend(s.Primary))
            {
                if (peer is null) continue;
                var node = _running.Keys.SelectMany(Instances).FirstOrDefault(i => i.Instance.Peer.Is(peer))?.Node;
                if (node is null)
                {
                    Note($"{shown} (no running node for {peer.Id})");
                    return null;
                }
                var snapshot = await node.Ask<NodeSnapshot>(GetNodeSnapshot.Instance, TimeSpan.FromSeconds(5));
                if (snapshot.AppliedVersion < s.Version || snapshot.Status is null)
                {
                    Note($"{shown} ({peer.Id} applied v{snapshot.AppliedVersion}, status {(snapshot.Status is null ? "none" : "known")})");
                    return null;
                }
            }
            return s;
        }, s => s is not null, what, timeout);
        Log($"state: {state}");
        return state!;
    }

    /// <summary>The primary's driver if the running primary takes writes now.</summary>
    public async Task<PostgresDriver?> WritablePrimaryAsync()
    {
        foreach (var instance in _running.Keys.SelectMany(Instances))
        {
            var snapshot = await instance.Node.Ask<NodeSnapshot>(GetNodeSnapshot.Instance, TimeSpan.FromSeconds(5));
            if (snapshot.AppliedRole == PeerRole.Primary && snapshot.ReadWrite) return ((PostgresDatabaseInstance)instance.Instance).Driver;
        }
        return null;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var name in _running.Keys.ToList())
        {
            try { await KillAsync(name); }
            catch (Exception e) { Log($"cleanup of {name}: {e.Message}"); }
        }
        await _scratch.DisposeAsync();
    }

    /// <summary>A base port with <paramref name="count"/> free ports above it, below the ephemeral range.</summary>
    private static int BasePort(int count)
    {
        while (true)
        {
            var candidate = Random.Shared.Next(20000, 32000 - count);
            lock (HandedOutBases)
            {
                if (HandedOutBases.Any(b => Math.Abs(b - candidate) < 16)) continue;
                if (!Enumerable.Range(candidate, count).All(Free)) continue;
                HandedOutBases.Add(candidate);
                return candidate;
            }
        }
    }

    private static bool Free(int port)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try { socket.Bind(new IPEndPoint(IPAddress.Loopback, port)); return true; }
        catch (SocketException) { return false; }
    }

    private sealed record RunningHost(IHost Host, NodeOptions Options);
}
