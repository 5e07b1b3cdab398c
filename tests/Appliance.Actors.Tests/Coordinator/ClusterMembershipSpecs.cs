using Akka.Actor;
using Akka.Cluster;
using Appliance.Actors.Coordinator;
using Appliance.Actors.Protocol;
using Appliance.Actors.Tests.Support;
using Appliance.Nodes.State;
using Xunit.Abstractions;

namespace Appliance.Actors.Tests.Coordinator;

/// <summary>
/// Three ActorSystems forming a real cluster on loopback, with the coordinator on the oldest: presence and order come
/// from cluster members, and reports, states and fences cross the wire through the appliance serializer.
/// </summary>
[Trait("Category", "Cluster")]
public sealed class ClusterMembershipSpecs : ClusterCoordinatorSpec
{
    public ClusterMembershipSpecs(ITestOutputHelper output) : base(output)
    {
    }

    [Fact]
    public void Peers_are_present_while_their_members_are_up_and_the_coordinators_own_peer_comes_last()
    {
        var cluster = Cluster.Get(Sys);
        cluster.Join(cluster.SelfAddress);
        var b = JoinedSystem();
        var c = JoinedSystem();

        var coordinator = StartCoordinator(Settings() with { Membership = MembershipSource.ClusterMembers, ReportLease = TimeSpan.FromMinutes(1), StartupGrace = TimeSpan.Zero });
        var nodeB = RemoteNode(b, "pb");
        var nodeA = new NodeProbe(this, coordinator, "pa").WithStates();
        var nodeC = RemoteNode(c, "pc");

        // A's member is the oldest, but the coordinator runs there: its peer goes last, off the write path.
        nodeA.Report();
        nodeB.Report();
        Assert.Equal("g1 P=pb S=pa A=[] D=[] W=0/0", ExpectPublished(1).ToShortString());
        Assert.Equal(1, nodeB.Probe.ExpectMsg<ClusterStateProtocol.StateChanged>(TimeSpan.FromSeconds(10)).Version);   // over the wire
        nodeC.Report();
        Assert.Equal("g1 P=pb S=pa A=[pc] D=[] W=0/0", ExpectPublished(2).ToShortString());

        // C's member goes down: pc is absent at once, although its report lease has a minute left.
        cluster.Down(Cluster.Get(c).SelfAddress);
        Assert.Equal("g1 P=pb S=pa A=[] D=[] W=0/0", ExpectPublished(3, timeout: TimeSpan.FromSeconds(15)).ToShortString());

        // B's member goes down too: the primary is gone and no async is left for a takeover; the refusal says so.
        cluster.Down(Cluster.Get(b).SelfAddress);
        AwaitAssert(() => Assert.Equal(Nodes.State.RefusalReason.NoAsyncAvailable, CurrentState(coordinator).LastRefusal?.Reason),
            TimeSpan.FromSeconds(15), TimeSpan.FromMilliseconds(200));
    }

    [Fact]
    public void Once_the_cluster_is_quiet_the_coordinator_moves_the_primary_off_its_own_host()
    {
        var cluster = Cluster.Get(Sys);
        cluster.Join(cluster.SelfAddress);
        var b = JoinedSystem();
        var c = JoinedSystem();
        var coordinator = StartCoordinator(Settings() with
        {
            Membership = MembershipSource.ClusterMembers, ReportLease = TimeSpan.FromHours(1), StartupGrace = TimeSpan.Zero,
            EvaluationInterval = TimeSpan.FromMilliseconds(200), RelieveHostAfter = TimeSpan.FromSeconds(15),
        });
        var nodeA = new NodeProbe(this, coordinator, "pa");   // in the coordinator's own system: its host
        var nodeB = RemoteNode(b, "pb", withStates: false);
        var nodeC = RemoteNode(c, "pc", withStates: false);
        nodeA.Report();
        nodeB.Report();
        ExpectPublishedVersion(1);
        nodeC.Report();
        Assert.Equal("g1 P=pb S=pa A=[pc] D=[] W=0/0", ExpectPublishedVersion(2).ToShortString());

        // An operator puts the primary on the coordinator's host. Nothing moves while the test clock stands still.
        coordinator.Tell(new OperatorProtocol.Submit(new OperatorCommand.Switchover()), TestActor);
        nodeA.AnswerFence(WalFence.StopReceivingWal, "0/0");
        ExpectMsg<OperatorProtocol.Accepted>();
        Assert.Equal("g2 P=pa S=pc A=[] D=[pb] W=0/0", ExpectPublishedVersion(3).ToShortString());
        nodeB.Report(readyToRejoin: true, rewoundOnto: ("pa", 2));
        Assert.Equal("g2 P=pa S=pc A=[pb] D=[] W=0/0", ExpectPublishedVersion(4).ToShortString());
        Clock.Advance(TimeSpan.FromSeconds(14));
        var republished = Mediator.ReceiveWhile(TimeSpan.FromSeconds(1), m => (Akka.Cluster.Tools.PublishSubscribe.Publish)m);
        Assert.All(republished, p => Assert.Equal(4, ((ClusterStateProtocol.StateChanged)p.Message).Version));

        // Quiet for 15 s: the sync takes over behind its fence, and the coordinator's host is deposed, to rejoin last.
        Clock.Advance(TimeSpan.FromSeconds(2));
        nodeC.AnswerFence(WalFence.StopReceivingWal, "0/0");
        Assert.Equal("g3 P=pc S=pb A=[] D=[pa] W=0/0", ExpectPublishedVersion(5).ToShortString());
    }

    [Fact]
    public void While_an_up_member_has_not_reported_the_tick_goes_to_the_topic_too()
    {
        var cluster = Cluster.Get(Sys);
        cluster.Join(cluster.SelfAddress);
        var b = JoinedSystem();
        var coordinator = StartCoordinator(Settings() with
        {
            Membership = MembershipSource.ClusterMembers, ReportLease = TimeSpan.FromHours(1), StartupGrace = TimeSpan.Zero,
            EvaluationInterval = TimeSpan.FromMilliseconds(200),
        });
        var nodeA = new NodeProbe(this, coordinator, "pa");
        var nodeB = RemoteNode(b, "pb", withStates: false);
        nodeA.Report();
        nodeB.Report();
        ExpectPublishedVersion(1);

        // Every member has reported: the tick tells the nodes and leaves the topic alone (its republish is an hour).
        Assert.Equal(0, StatesOnTopic(TimeSpan.FromMilliseconds(700)));

        // A third member is Up but its node has not reported: it may be a primary only the topic can reach yet.
        var c = JoinedSystem();
        Mediator.FishForMessage<Akka.Cluster.Tools.PublishSubscribe.Publish>(
            p => p.Message is ClusterStateProtocol.StateChanged { Version: 1 }, TimeSpan.FromSeconds(15));
        Mediator.FishForMessage<Akka.Cluster.Tools.PublishSubscribe.Publish>(
            p => p.Message is ClusterStateProtocol.StateChanged { Version: 1 }, TimeSpan.FromSeconds(2));

        // Once it has reported, the topic is quiet again.
        RemoteNode(c, "pc", withStates: false).Report();
        ExpectPublishedVersion(2);
        Assert.Equal(0, StatesOnTopic(TimeSpan.FromMilliseconds(700)));
    }

    /// <summary>Waits for the publish of <paramref name="version"/>, skipping the republishes of earlier versions.</summary>
    private ClusterState ExpectPublishedVersion(long version)
    {
        var publish = Mediator.FishForMessage<Akka.Cluster.Tools.PublishSubscribe.Publish>(
            p => p.Message is ClusterStateProtocol.StateChanged changed && changed.Version >= version, TimeSpan.FromSeconds(15));
        var state = ((ClusterStateProtocol.StateChanged)publish.Message).State;
        Assert.Equal(version, state.Version);
        return state;
    }

    /// <summary>A node probe in <paramref name="system"/> that reaches the coordinator through remoting.</summary>
    private NodeProbe RemoteNode(ActorSystem system, string id, bool withStates = true)
    {
        var path = new RootActorPath(Cluster.Get(Sys).SelfAddress) / "user" / "coordinator";
        var remote = system.ActorSelection(path).ResolveOne(TimeSpan.FromSeconds(10)).GetAwaiter().GetResult();
        var node = new NodeProbe(this, remote, id, system);
        return withStates ? node.WithStates() : node;
    }
}
