using Akka.Cluster.Tools.PublishSubscribe;
using Appliance.Actors.Protocol;
using Appliance.Actors.Tests.Support;
using Xunit.Abstractions;

namespace Appliance.Actors.Tests.Coordinator;

/// <summary>Presence by report lease, and publishing that lets receivers heal from lost messages.</summary>
[Trait("Category", "Unit")]
public sealed class PresenceAndPublishingSpecs(ITestOutputHelper output) : CoordinatorSpec(output)
{
    [Fact]
    public void A_peer_whose_report_lease_runs_out_is_absent_and_returns_at_the_end_of_the_join_order()
    {
        var coordinator = StartCoordinator(Settings() with
        {
            ReportLease = TimeSpan.FromSeconds(3),
            EvaluationInterval = TimeSpan.FromMilliseconds(100),
        });
        IgnoreRepublishing();
        var (n1, n2, n3) = ThreeNodeCluster(coordinator);

        // n1 and n2 keep reporting; n3 falls silent past its lease and is dropped from the async chain on a tick.
        Clock.Advance(TimeSpan.FromSeconds(2));
        n1.Report();
        n2.Report();
        Clock.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal("g1 P=n1 S=n2 A=[] D=[] W=0/0", ExpectPublished(3).ToShortString());

        // It reports again: present again, at the tail.
        n3.Report();
        Assert.Equal("g1 P=n1 S=n2 A=[n3] D=[] W=0/0", ExpectPublished(4).ToShortString());
    }

    [Fact]
    public void The_tick_tells_every_node_the_current_state_again_without_the_topic()
    {
        // The nodes' lease heartbeat: addressed to each node that reported, on every tick, with no topic republish.
        var coordinator = StartCoordinator(Settings() with { EvaluationInterval = TimeSpan.FromMilliseconds(200) });
        var (n1, n2, n3) = (Node(coordinator, "n1").WithStates(), Node(coordinator, "n2"), Node(coordinator, "n3"));
        n1.Report();
        n2.Report();
        n3.Report();
        Mediator.FishForMessage<Publish>(p => p.Message is ClusterStateProtocol.StateChanged { Version: 2 });
        n1.Probe.FishForMessage<ClusterStateProtocol.StateChanged>(m => m.Version == 2);
        for (var i = 0; i < 3; i++)
            Assert.Equal(2, n1.Probe.ExpectMsg<ClusterStateProtocol.StateChanged>().Version);

        // Three ticks have passed since v2 was published: none of them went to the topic.
        Assert.Equal(0, StatesOnTopic(TimeSpan.FromMilliseconds(300)));
    }

    [Fact]
    public void The_topic_gets_the_current_state_again_every_republish_interval()
    {
        var coordinator = StartCoordinator(Settings() with { TopicRepublishInterval = TimeSpan.FromMilliseconds(200) });
        // With so short an interval, republishes of v1 may come between the setup's publishes; skip past them.
        var (n1, n2, n3) = (Node(coordinator, "n1"), Node(coordinator, "n2"), Node(coordinator, "n3"));
        n1.Report();
        n2.Report();
        Mediator.FishForMessage<Publish>(p => p.Message is ClusterStateProtocol.StateChanged { Version: 1 });
        n3.Report();
        Mediator.FishForMessage<Publish>(p => p.Message is ClusterStateProtocol.StateChanged { Version: 2 });
        ExpectPublished(2);
        ExpectPublished(2);
    }

    [Fact]
    public void A_node_that_reports_an_older_applied_version_is_sent_the_current_state()
    {
        var coordinator = StartCoordinator();
        var (n1, _, _) = ThreeNodeCluster(coordinator);
        var node = n1.WithStates();
        node.Report(appliedVersion: 1);
        Assert.Equal(2, node.Probe.FishForMessage<ClusterStateProtocol.StateChanged>(m => m.Version == 2).Version);

        node.Report(appliedVersion: 2);
        node.Probe.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
    }

    [Fact]
    public void A_node_this_incarnation_has_not_heard_from_gets_the_state_at_its_first_report_even_when_up_to_date()
    {
        // After a hand-over the new incarnation knows no node: an up-to-date primary's first report must draw its first
        // heartbeat at once, not a tick later (the tick is an hour here).
        var coordinator = StartCoordinator();
        ThreeNodeCluster(coordinator);
        var restarted = new NodeProbe(this, coordinator, "n1", probeName: "n1-restarted").WithStates();   // the same peer, as another actor
        restarted.Report(appliedVersion: 2);
        Assert.Equal(2, restarted.Probe.ExpectMsg<ClusterStateProtocol.StateChanged>().Version);
        restarted.Report(appliedVersion: 2);
        restarted.Probe.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
    }

    [Fact]
    public void A_node_that_registers_after_the_change_gets_the_state_in_reply_to_its_first_report()
    {
        var coordinator = StartCoordinator();
        ThreeNodeCluster(coordinator);

        // n4 was not known when v2 was told to the nodes, and has no topic to fall back on: its first report is enough.
        var late = Node(coordinator, "n4").WithStates();
        late.Report();
        var reply = late.Probe.FishForMessage<ClusterStateProtocol.StateChanged>(_ => true);
        Assert.Equal(2, reply.Version);
        Assert.Equal("g1 P=n1 S=n2 A=[n3] D=[] W=0/0", reply.State.ToShortString());

        // From then on it is known, so the next state (the one that admits it) is told to it directly.
        Assert.Equal(3, late.Probe.FishForMessage<ClusterStateProtocol.StateChanged>(_ => true).Version);
    }

    /// <summary>The mediator probe from here on sees only publishes of new versions.</summary>
    private void IgnoreRepublishing()
    {
        var seen = 0L;
        Mediator.IgnoreMessages(m =>
        {
            if (m is not Publish { Message: ClusterStateProtocol.StateChanged changed }) return false;
            if (changed.Version <= seen) return true;
            seen = changed.Version;
            return false;
        });
    }
}
