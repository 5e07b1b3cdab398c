using Akka.Configuration;
using Appliance.Actors;
using Appliance.Actors.Coordinator;
using Appliance.Actors.Instance;
using Appliance.Host.Node;
using Microsoft.Extensions.Logging.Abstractions;

namespace Appliance.Host.Tests.Unit;

/// <summary>
/// The host's defaults come from the embedded reference configurations (<see cref="HostConfig.Reference"/>), and the
/// operator's extra HOCON is layered over them.
/// </summary>
[Trait("Category", "Unit")]
public sealed class ReferenceConfigTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("appliance-refconf-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>Every key of <c>src/Host/reference.conf</c> with the value production nodes ran with when it was read from <c>hocon/</c>.</summary>
    public static TheoryData<string, string> AkkaTuning => new()
    {
        { "akka.actor.provider", "cluster" },
        { "akka.cluster.roles", Appliance.Actors.ClusterTopology.DatabaseRole },
        { "akka.cluster.min-nr-of-members", "2" },
        { "akka.cluster.seed-node-timeout", "3s" },
        { "akka.cluster.failure-detector.heartbeat-interval", "500ms" },
        { "akka.cluster.failure-detector.acceptable-heartbeat-pause", "2s" },
        { "akka.cluster.failure-detector.threshold", "8.0" },
        { "akka.cluster.gossip-interval", "500ms" },
        { "akka.cluster.leader-actions-interval", "500ms" },
        { "akka.cluster.unreachable-nodes-reaper-interval", "500ms" },
        { "akka.cluster.downing-provider-class", "Akka.Cluster.SBR.SplitBrainResolverProvider, Akka.Cluster" },
        { "akka.cluster.split-brain-resolver.active-strategy", "keep-majority" },
        { "akka.cluster.split-brain-resolver.keep-majority.role", Appliance.Actors.ClusterTopology.DatabaseRole },
        { "akka.cluster.split-brain-resolver.stable-after", "2s" },
        { "akka.cluster.split-brain-resolver.down-all-when-unstable", "on" },
        { "akka.cluster.down-removal-margin", "1s" },
        { "akka.cluster.run-coordinated-shutdown-when-down", "on" },
        { "akka.remote.dot-netty.tcp.connection-timeout", "10s" },
        { "akka.remote.transport-failure-detector.heartbeat-interval", "1s" },
        { "akka.remote.use-passive-connections", "off" },
        { "akka.scheduler.tick-duration", "50ms" },
        { "akka.cluster.singleton.hand-over-retry-interval", "500ms" },
        { "akka.cluster.singleton-proxy.singleton-identification-interval", "500ms" },
        { "akka.cluster.singleton-proxy.buffer-size", "1000" },
        { "akka.cluster.pub-sub.gossip-interval", "1s" },
        { "akka.cluster.pub-sub.send-to-dead-letters-when-no-subscribers", "off" },
        { "akka.cluster.sharding.role", Appliance.Actors.ClusterTopology.DatabaseRole },
        { "akka.cluster.sharding.remember-entities", "on" },
        { "akka.cluster.sharding.remember-entities-store", "eventsourced" },
        { "akka.cluster.sharding.state-store-mode", "persistence" },
        { "akka.cluster.sharding.passivate-idle-entity-after", "off" },
        { "akka.cluster.sharding.retry-interval", "1s" },
        { "akka.cluster.sharding.rebalance-interval", "5s" },
        { "akka.cluster.sharding.handoff-timeout", "20s" },
    };

    [Theory]
    [MemberData(nameof(AkkaTuning))]
    public void The_host_reference_gives_the_documented_akka_tuning(string path, string value)
    {
        var actual = HostConfig.Reference.GetValue(path);
        Assert.Equal(value, actual.IsArray() ? string.Join(',', actual.GetArray().Select(v => v.GetString())) : actual.GetString());
    }

    [Fact]
    public void The_node_binary_runs_with_thread_pool_workers_that_block_at_once_when_idle()
    {
        // Directory.Build.props puts it into every runtimeconfig; spinning workers were half of an idle host's CPU.
        var path = Path.Combine(AppContext.BaseDirectory, "appliance.runtimeconfig.json");
        using var json = System.Text.Json.JsonDocument.Parse(File.ReadAllText(path));
        var properties = json.RootElement.GetProperty("runtimeOptions").GetProperty("configProperties");
        Assert.Equal(0, properties.GetProperty("System.Threading.ThreadPool.UnfairSemaphoreSpinLimit").GetInt32());
    }

    [Fact]
    public void The_host_reference_holds_the_akka_tuning_alone_and_every_key_is_documented_here()
    {
        Assert.Equal(["akka"], HostConfig.AkkaTuning.Root.GetObject().Items.Keys);
        Assert.Equal(AkkaTuning.Select(row => (string)row[0]).Order(), Leaves(HostConfig.AkkaTuning.Root.GetObject(), "").Order());
        // The appliance.* timings come along as the fallback.
        Assert.Equal(CoordinatorSettings.Default, CoordinatorSettings.FromConfig(HostConfig.Reference));
        Assert.Equal(ActorsConfig.Reference.GetTimeSpan("appliance.node.coordinator-lease"), HostConfig.Reference.GetTimeSpan("appliance.node.coordinator-lease"));
    }

    [Fact]
    public void The_akka_and_appliance_sections_of_a_hocon_config_file_win_over_the_reference()
    {
        // As ApplianceNodeHosting layers them: the extra HOCON first, the reference configurations as the fallback.
        var effective = EffectiveWithFile("""
            appliance.node.coordinator-lease = 2s
            appliance.coordinator { report-lease = 4s }
            akka.cluster.failure-detector.acceptable-heartbeat-pause = 3s
            """);

        Assert.Equal(DatabaseNodeSettings.Default with { CoordinatorLease = TimeSpan.FromSeconds(2) }, DatabaseNodeSettings.FromConfig(effective));
        Assert.Equal(CoordinatorSettings.Default with { ReportLease = TimeSpan.FromSeconds(4) }, CoordinatorSettings.FromConfig(effective));
        Assert.Equal(TimeSpan.FromSeconds(3), effective.GetTimeSpan("akka.cluster.failure-detector.acceptable-heartbeat-pause"));
        Assert.Equal(TimeSpan.FromMilliseconds(500), effective.GetTimeSpan("akka.cluster.failure-detector.heartbeat-interval"));
    }

    [Fact]
    public void The_self_restart_watches_wait_their_reference_patience_unless_the_config_file_sets_another()
    {
        Assert.Equal(TimeSpan.FromSeconds(60), Join.PatienceIn(HostConfig.Reference));
        Assert.Equal(TimeSpan.FromSeconds(20), Island.PatienceIn(HostConfig.Reference));
        Assert.Equal(TimeSpan.FromSeconds(20), Singleton.PatienceIn(HostConfig.Reference));

        var effective = EffectiveWithFile("appliance.self-restart.join-patience = 8s");
        Assert.Equal(TimeSpan.FromSeconds(8), Join.PatienceIn(effective));
        Assert.Equal(TimeSpan.FromSeconds(20), Island.PatienceIn(effective));
    }

    /// <summary>
    /// The configuration a node runs with when its --config file holds <paramref name="extra"/> (over the flags of
    /// <see cref="NodeOptionsLoaderTests.Minimal"/>), as ApplianceNodeHosting layers it: the file's akka/appliance
    /// sections first, the reference configurations under them.
    /// </summary>
    private Akka.Configuration.Config EffectiveWithFile(string extra)
    {
        var path = Path.Combine(_dir, "node.conf");
        File.WriteAllText(path, extra);
        var (values, hocon) = NodeOptionsLoader.FromFile(path);
        var options = NodeOptionsLoader.Build([NodeOptionsLoaderTests.Minimal, values], hocon, _ => "pw");
        return ConfigurationFactory.ParseString(options.ExtraHocon!).WithFallback(HostConfig.Reference);
    }

    private static readonly JoinWatch Join = new(null!, null!, null!, NullLogger<JoinWatch>.Instance);
    private static readonly IslandWatch Island = new(null!, null!, null!, NullLogger<IslandWatch>.Instance);
    private static readonly SingletonWatch Singleton = new(null!, null!, null!, NullLogger<SingletonWatch>.Instance);

    private static IEnumerable<string> Leaves(Akka.Configuration.Hocon.HoconObject node, string prefix) =>
        node.Items.SelectMany(item => item.Value.IsObject()
            ? Leaves(item.Value.GetObject(), prefix + item.Key + ".")
            : [prefix + item.Key]);
}
