using Akka.Actor;
using Akka.TestKit;
using Akka.Cluster.Tools.PublishSubscribe;
using Appliance.Actors.Client;
using Appliance.Actors.Protocol;
using Appliance.Actors.Tests.Serialization;
using Appliance.Nodes.State;
using Xunit.Abstractions;

namespace Appliance.Actors.Tests.Client;

/// <summary>
/// How <see cref="ClusterStateSubscriber"/> keeps an application's view current: newer versions only, and a direct ask
/// of the coordinator when pub-sub goes quiet (CI: a client stayed on the state from before a failover for two minutes).
/// </summary>
[Trait("Category", "Unit")]
public sealed class ClusterStateSubscriberSpecs(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(output: output)
{
    private static ClusterState Version(long v) => SampleMessages.FullState with { Version = v };

    /// <summary>A subscriber between probes: the coordinator, the mediator, and one that receives each handed-on version.</summary>
    private (TestProbe Coordinator, TestProbe Mediator, TestProbe Seen, IActorRef Subscriber) Start(TimeSpan silence)
    {
        var (coordinator, mediator, seen) = (CreateTestProbe(), CreateTestProbe(), CreateTestProbe());
        var subscriber = Sys.ActorOf(ClusterStateSubscriber.Props(coordinator, mediator, s => seen.Ref.Tell(s.Version), silence));
        return (coordinator, mediator, seen, subscriber);
    }

    [Fact]
    public void It_subscribes_asks_at_once_and_hands_on_only_newer_versions_in_order()
    {
        var (coordinator, mediator, seen, subscriber) = Start(silence: TimeSpan.FromHours(1));

        Assert.Equal(ClusterStateProtocol.Topic, mediator.ExpectMsg<Subscribe>().Topic);
        coordinator.ExpectMsg<ClusterStateProtocol.GetState>();
        subscriber.Tell(new ClusterStateProtocol.CurrentState(Version(2), null));
        subscriber.Tell(new ClusterStateProtocol.StateChanged(1, Version(1)));
        subscriber.Tell(new ClusterStateProtocol.StateChanged(2, Version(2)));
        subscriber.Tell(new ClusterStateProtocol.StateChanged(3, Version(3)));

        Assert.Equal(2L, seen.ExpectMsg<long>());
        Assert.Equal(3L, seen.ExpectMsg<long>());
        seen.ExpectNoMsg(TimeSpan.FromMilliseconds(300));
    }

    [Fact]
    public void A_subscriber_that_hears_no_state_for_its_silence_asks_the_coordinator_again()
    {
        var (coordinator, _, seen, subscriber) = Start(silence: TimeSpan.FromSeconds(2));
        coordinator.ExpectMsg<ClusterStateProtocol.GetState>();
        subscriber.Tell(new ClusterStateProtocol.StateChanged(4, Version(4)));
        Assert.Equal(4L, seen.ExpectMsg<long>());

        // Pub-sub stops reaching it; once the silence has passed, the once-a-second tick asks the coordinator.
        coordinator.ExpectMsg<ClusterStateProtocol.GetState>(TimeSpan.FromSeconds(10));
        subscriber.Tell(new ClusterStateProtocol.CurrentState(Version(6), null));
        Assert.Equal(6L, seen.ExpectMsg<long>());
    }
}
