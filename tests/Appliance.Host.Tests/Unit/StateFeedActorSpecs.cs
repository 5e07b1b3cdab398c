using Akka.Actor;
using Appliance.Actors.Protocol;
using Appliance.Host.Node;
using Appliance.Nodes.State;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit.Abstractions;

namespace Appliance.Host.Tests.Unit;

/// <summary>
/// How a node's <see cref="StateFeedActor"/> keeps the coordinator's history that <c>/metrics</c> counts from
/// (CI: a node's /metrics lacked appliance_failovers_total while the cluster was quiet).
/// </summary>
[Trait("Category", "Unit")]
public sealed class StateFeedActorSpecs(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(output: output)
{
    private static readonly ClusterState State = new()
    {
        Version = 1,
        Generation = 1,
        Primary = new PeerId("n1", "127.0.0.1", 5432),
        Sync = new PeerId("n2", "127.0.0.1", 5433),
    };

    [Fact]
    public void A_failed_read_of_the_history_is_tried_again_without_waiting_for_the_next_state()
    {
        var coordinator = CreateTestProbe();
        var events = new ClusterEvents();
        Sys.ActorOf(StateFeedActor.Props(events, coordinator, CreateTestProbe(), NullLogger.Instance, "n1"));

        // The feed's subscriber asks for the state; once it has it, the feed asks for the history, which fails.
        coordinator.ExpectMsg<ClusterStateProtocol.GetState>();
        coordinator.Reply(new ClusterStateProtocol.CurrentState(State, null));
        coordinator.FishForMessage(m => m is ClusterStateProtocol.GetHistory);
        coordinator.Reply(new Status.Failure(new InvalidOperationException("no coordinator answers")));
        Assert.Null(events.History);

        // No state changes, yet the feed reads the history again, and the counters have their source.
        coordinator.FishForMessage(m => m is ClusterStateProtocol.GetHistory, StateFeedActor.HistoryRetry + TimeSpan.FromSeconds(5));
        coordinator.Reply(new ClusterStateProtocol.History([new(State, TransitionReason.InitialSetup, "set up", DateTimeOffset.UtcNow)]));
        AwaitAssert(() => Assert.Equal(TransitionReason.InitialSetup, Assert.Single(events.History!).Reason));
    }

    [Fact]
    public void A_history_that_does_not_show_the_newest_state_yet_is_read_again()
    {
        var coordinator = CreateTestProbe();
        var events = new ClusterEvents();
        Sys.ActorOf(StateFeedActor.Props(events, coordinator, CreateTestProbe(), NullLogger.Instance, "n1"));
        var second = State with { Version = 2 };

        coordinator.ExpectMsg<ClusterStateProtocol.GetState>();
        coordinator.Reply(new ClusterStateProtocol.CurrentState(second, null));
        coordinator.FishForMessage(m => m is ClusterStateProtocol.GetHistory);
        coordinator.Reply(new ClusterStateProtocol.History([new(State, TransitionReason.InitialSetup, "set up", DateTimeOffset.UtcNow)]));

        coordinator.FishForMessage(m => m is ClusterStateProtocol.GetHistory, StateFeedActor.HistoryRetry + TimeSpan.FromSeconds(5));
        coordinator.Reply(new ClusterStateProtocol.History(
        [
            new(State, TransitionReason.InitialSetup, "set up", DateTimeOffset.UtcNow),
            new(second, TransitionReason.SyncTakeover, "primary n1 is gone", DateTimeOffset.UtcNow),
        ]));
        AwaitAssert(() => Assert.Equal(2, events.History!.Count));
    }
}
