using Akka.Actor;
using Akka.Cluster.Tools.PublishSubscribe;
using Akka.Configuration;
using Akka.TestKit;
using Appliance.Actors.Coordinator;
using Appliance.Actors.Protocol;
using Appliance.Actors.Serialization;
using Appliance.Nodes.State;
using Xunit.Abstractions;

namespace Appliance.Actors.Tests.Support;

/// <summary>
/// Base of the coordinator tests: one ActorSystem with the appliance's persistence config on a state store of the
/// test's own (a SQLite file in a temp directory unless a subclass passes another), and a probe standing in for the
/// pub-sub mediator.
/// </summary>
/// <remarks>
/// <c>serialize-messages</c> stays off: Akka.Persistence.Sql's journal sends itself a message holding a Task
/// (<c>WriteFinished</c>) that is not marked local-only, so verification crashes the journal. The serializer is
/// covered by its own round-trip tests, and every event and snapshot here goes through it on the way to the store.
/// </remarks>
public abstract class CoordinatorSpec : Akka.TestKit.Xunit2.TestKit
{
    private readonly TempDirectory? _ownDirectory;

    protected CoordinatorSpec(ITestOutputHelper output, Config? extraConfig = null) : this(new TempDirectory(), extraConfig, output)
    {
    }

    protected CoordinatorSpec(StateStoreOptions store, ITestOutputHelper output) : this(store, null, null, output)
    {
    }

    private CoordinatorSpec(TempDirectory directory, Config? extraConfig, ITestOutputHelper output)
        : this(StateStoreOptions.Sqlite(Path.Combine(directory.Path, "state.db")), directory, extraConfig, output)
    {
    }

    private CoordinatorSpec(StateStoreOptions store, TempDirectory? directory, Config? extraConfig, ITestOutputHelper output)
        : base(extraConfig is null ? SystemConfig(store) : extraConfig.WithFallback(SystemConfig(store)), SystemName, output)
    {
        Store = store;
        _ownDirectory = directory;
        Mediator = CreateTestProbe("mediator");
    }

    /// <summary>The name of the test's ActorSystem (systems of one cluster must share it).</summary>
    protected const string SystemName = "coordinator-spec";

    protected StateStoreOptions Store { get; }

    protected TestClock Clock { get; } = new();

    /// <summary>Receives every <see cref="Publish"/> of the coordinator.</summary>
    protected TestProbe Mediator { get; }

    /// <summary>The configuration every system of these tests runs with (a second system for the same store too).</summary>
    protected static Config SystemConfig(StateStoreOptions store) =>
        ConfigurationFactory.ParseString("""
                akka.loglevel = INFO
                """)
            .WithFallback(store.ToConfig())
            .WithFallback(ApplianceSerialization.Config)
            .WithFallback(DistributedPubSub.DefaultConfig());

    /// <summary>
    /// Settings for single-system tests: presence by report lease, and a tick and lease so long that nothing happens
    /// unless the test makes it (tests that need the tick or lease set their own).
    /// </summary>
    protected CoordinatorSettings Settings(IActorRef? mediator = null) => CoordinatorSettings.Default with
    {
        Membership = MembershipSource.ReportLease,
        EvaluationInterval = TimeSpan.FromHours(1),
        TopicRepublishInterval = TimeSpan.FromHours(1),
        ReportLease = TimeSpan.FromHours(1),
        ProbeTimeout = TimeSpan.FromSeconds(3),
        PubSubMediator = mediator ?? Mediator,
        Clock = () => Clock.Now,
    };

    /// <summary>
    /// Starts a coordinator and waits until it has recovered (it answers GetState only then). The first start in a
    /// test process pays for JIT and the journal's table creation, so it gets a generous limit.
    /// </summary>
    protected IActorRef StartCoordinator(CoordinatorSettings? settings = null, string name = "coordinator")
    {
        var coordinator = Sys.ActorOf(ClusterStateCoordinator.Props(settings ?? Settings()), name);
        coordinator.Tell(ClusterStateProtocol.GetState.Instance, TestActor);
        ExpectMsg<ClusterStateProtocol.CurrentState>(RecoveryTimeout);
        return coordinator;
    }

    /// <summary>How long a first recovery may take on a loaded 2-core machine.</summary>
    protected static readonly TimeSpan RecoveryTimeout = TimeSpan.FromSeconds(20);

    protected NodeProbe Node(IActorRef coordinator, string id) => new(this, coordinator, id);

    /// <summary>How many states the coordinator puts on the topic within <paramref name="window"/> (republishes included).</summary>
    protected int StatesOnTopic(TimeSpan window) =>
        Mediator.ReceiveWhile(window, m => m).Count(m => m is Publish { Message: ClusterStateProtocol.StateChanged });

    /// <summary>Expects the next publish on the state topic to carry <paramref name="version"/>, and returns its state.</summary>
    protected ClusterState ExpectPublished(long version, TestProbe? mediator = null, TimeSpan? timeout = null)
    {
        var publish = (mediator ?? Mediator).ExpectMsg<Publish>(timeout);
        Assert.Equal(ClusterStateProtocol.Topic, publish.Topic);
        var changed = Assert.IsType<ClusterStateProtocol.StateChanged>(publish.Message);
        Assert.Equal(version, changed.Version);
        Assert.Equal(version, changed.State.Version);
        return changed.State;
    }

    /// <summary>n1, n2 and n3 report; the coordinator sets up n1 primary, n2 sync (v1) and adds n3 as async (v2).</summary>
    protected (NodeProbe N1, NodeProbe N2, NodeProbe N3) ThreeNodeCluster(IActorRef coordinator)
    {
        var (n1, n2, n3) = (Node(coordinator, "n1"), Node(coordinator, "n2"), Node(coordinator, "n3"));
        n1.Report();
        n2.Report();
        ExpectPublished(1);
        n3.Report();
        var state = ExpectPublished(2);
        Assert.Equal("g1 P=n1 S=n2 A=[n3] D=[] W=0/0", state.ToShortString());
        return (n1, n2, n3);
    }

    protected ClusterStateProtocol.CurrentState CurrentState(IActorRef coordinator)
    {
        coordinator.Tell(ClusterStateProtocol.GetState.Instance, TestActor);
        return ExpectMsg<ClusterStateProtocol.CurrentState>();
    }

    protected OperatorProtocol.Accepted ExpectAccepted(IActorRef coordinator, OperatorCommand command)
    {
        coordinator.Tell(new OperatorProtocol.Submit(command), TestActor);
        return ExpectMsg<OperatorProtocol.Accepted>();
    }

    protected OperatorProtocol.Refused ExpectRefused(IActorRef coordinator, OperatorCommand command, RefusalReason reason)
    {
        coordinator.Tell(new OperatorProtocol.Submit(command), TestActor);
        var refused = ExpectMsg<OperatorProtocol.Refused>();
        Assert.Equal(reason, refused.Reason);
        return refused;
    }

    protected override void AfterAll()
    {
        base.AfterAll();
        _ownDirectory?.Dispose();
    }
}
