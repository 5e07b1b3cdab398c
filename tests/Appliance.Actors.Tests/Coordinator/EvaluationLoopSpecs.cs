using Appliance.Actors.Protocol;
using Appliance.Actors.Tests.Support;
using Appliance.Nodes.State;
using Xunit.Abstractions;

namespace Appliance.Actors.Tests.Coordinator;

/// <summary>The evaluation loop: setup, takeover behind a fence, failed and unanswered probes, fences lifted.</summary>
[Trait("Category", "Unit")]
public sealed class EvaluationLoopSpecs(ITestOutputHelper output) : CoordinatorSpec(output)
{
    [Fact]
    public void Sets_the_cluster_up_once_two_nodes_have_reported_and_tells_each_node()
    {
        var coordinator = StartCoordinator();
        var n1 = Node(coordinator, "n1").WithStates();
        var n2 = Node(coordinator, "n2").WithStates();

        n1.Report();
        Mediator.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
        Assert.Equal(RefusalReason.NotEnoughPeers, CurrentState(coordinator).LastRefusal?.Reason);

        n2.Report();
        var state = ExpectPublished(1);
        Assert.Equal("g1 P=n1 S=n2 A=[] D=[] W=0/0", state.ToShortString());
        Assert.Equal(state, n1.Probe.ExpectMsg<ClusterStateProtocol.StateChanged>().State);
        Assert.Equal(state, n2.Probe.ExpectMsg<ClusterStateProtocol.StateChanged>().State);
        var current = CurrentState(coordinator);
        Assert.Equal(state, current.State);
        Assert.Null(current.LastRefusal);
    }

    [Fact]
    public void Sync_takes_over_behind_its_fence_when_the_primary_departs()
    {
        var coordinator = StartCoordinator();
        var (n1, n2, n3) = ThreeNodeCluster(coordinator);

        n1.Depart();
        n2.AnswerFence(WalFence.StopReceivingWal, "0/5000");

        var state = ExpectPublished(3);
        Assert.Equal("g2 P=n2 S=n3 A=[] D=[n1] W=0/5000", state.ToShortString());
        Assert.Equal(TransitionReason.SyncTakeover, LastRecorded(coordinator).Reason);
        // The fence was used: the new primary is not told to lift it.
        n2.Probe.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
        n3.Probe.ExpectNoMsg(TimeSpan.Zero);
    }

    [Fact]
    public void A_fence_another_coordinator_incarnation_left_up_is_lifted_in_its_owners_name_and_its_own_are_not()
    {
        var coordinator = StartCoordinator();
        var (_, n2, _) = ThreeNodeCluster(coordinator);

        // A coordinator that died mid-round left n2 fenced; n2 reports it, and would otherwise wait for good.
        var orphan = new FenceOwner("gone-incarnation", 2, 5);
        n2.ReportFenced(WalFence.StopReceivingWal, orphan, appliedVersion: 2);
        var lift = n2.Probe.FishForMessage<NodeProtocol.LiftFence>(_ => true, TimeSpan.FromSeconds(3));
        Assert.Equal(new NodeProtocol.LiftFence(WalFence.StopReceivingWal, orphan), lift);

        // A fence this coordinator raised itself is its own round's business: it is not lifted by a report.
        coordinator.Tell(new OperatorProtocol.Submit(new OperatorCommand.Switchover()), TestActor);
        var raise = n2.Probe.ExpectMsg<NodeProtocol.RaiseFence>(TimeSpan.FromSeconds(3));
        n2.ReportFenced(raise.Fence, raise.Owner!, appliedVersion: 2);
        n2.Probe.ExpectNoMsg(TimeSpan.FromMilliseconds(500));
    }

    [Fact]
    public void A_fence_of_its_own_ended_round_is_lifted_again_when_a_restarted_node_still_holds_it()
    {
        var coordinator = StartCoordinator(Settings() with { ProbeTimeout = TimeSpan.FromMilliseconds(300) });
        var (n1, n2, _) = ThreeNodeCluster(coordinator);

        // The round fences n2, its probe goes unanswered, and the round's lift goes to n2's node as it was: a node that
        // restarted in between restored the fence from disk and never got that lift.
        n1.Depart();
        var raise = n2.Probe.ExpectMsg<NodeProtocol.RaiseFence>(TimeSpan.FromSeconds(3));
        Assert.Equal(raise.Owner, n2.Probe.ExpectMsg<NodeProtocol.LiftFence>(TimeSpan.FromSeconds(3)).Owner);

        // The restarted node reports the fence it still holds; the state does not use it, so it is lifted again.
        n2.ReportFenced(raise.Fence, raise.Owner!, appliedVersion: 2);
        var again = n2.Probe.FishForMessage<NodeProtocol.LiftFence>(l => l.Owner == raise.Owner, TimeSpan.FromSeconds(3));
        Assert.Equal(new NodeProtocol.LiftFence(raise.Fence, raise.Owner!), again);
    }

    [Fact]
    public void A_fenced_position_without_its_timeline_history_counts_as_a_failed_probe()
    {
        var coordinator = StartCoordinator();
        var (n1, n2, _) = ThreeNodeCluster(coordinator);

        n1.Depart();
        n2.AnswerFenceWithoutHistory(WalFence.StopReceivingWal, "0/5000");
        n2.Probe.ExpectMsg<NodeProtocol.LiftFence>(TimeSpan.FromSeconds(3));
        Assert.Equal(RefusalReason.DatabaseOffline, CurrentState(coordinator).LastRefusal?.Reason);
        Assert.Equal(2, CurrentState(coordinator).State!.Version);
    }

    [Fact]
    public void A_failed_fence_means_no_takeover_and_the_refusal_is_kept()
    {
        var coordinator = StartCoordinator();
        var (n1, n2, _) = ThreeNodeCluster(coordinator);

        n1.Depart();
        var probeId = n2.ExpectRaiseFence(WalFence.StopReceivingWal);
        n2.Probe.Reply(new NodeProtocol.FenceFailed(probeId, "n2", "PostgreSQL is not running"));

        // The round ends without a write and lifts the fence it asked for (it may be up even though raising failed).
        Assert.Equal(WalFence.StopReceivingWal, n2.Probe.ExpectMsg<NodeProtocol.LiftFence>().Fence);
        Mediator.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
        var current = CurrentState(coordinator);
        Assert.Equal(2, current.State!.Version);
        Assert.Equal(RefusalReason.DatabaseOffline, current.LastRefusal?.Reason);
    }

    [Fact]
    public void An_unanswered_probe_times_out_and_counts_as_a_failure()
    {
        var coordinator = StartCoordinator(Settings() with { ProbeTimeout = TimeSpan.FromMilliseconds(300) });
        var (n1, n2, _) = ThreeNodeCluster(coordinator);

        n1.Depart();
        var probeId = n2.ExpectRaiseFence(WalFence.StopReceivingWal);
        n2.Probe.ExpectMsg<NodeProtocol.LiftFence>(TimeSpan.FromSeconds(3));
        Assert.Equal(RefusalReason.DatabaseOffline, CurrentState(coordinator).LastRefusal?.Reason);

        // A late answer to the timed-out probe changes nothing.
        n2.Probe.Reply(new NodeProtocol.FenceRaised(probeId, "n2", Lsn.Parse("0/5000"), TimelineHistory.First));
        Mediator.ExpectNoMsg(TimeSpan.FromMilliseconds(300));
        Assert.Equal(2, CurrentState(coordinator).State!.Version);
    }

    [Fact]
    public void A_fence_that_a_not_caught_up_sync_raised_is_lifted()
    {
        var coordinator = StartCoordinator();
        var (n1, n2, n3) = ThreeNodeCluster(coordinator);

        // Switchover to async[0]: the primary names n3 behind its fence; initWal becomes 0/9000.
        coordinator.Tell(new OperatorProtocol.Submit(new OperatorCommand.Switchover("n3")), TestActor);
        n1.AnswerFence(new WalFence.NameSync("n3"), "0/9000");
        var accepted = ExpectMsg<OperatorProtocol.Accepted>();
        Assert.Equal("g2 P=n1 S=n3 A=[n2] D=[] W=0/9000", accepted.Recorded.State.ToShortString());
        ExpectPublished(3);

        // The primary goes; the new sync has replayed only to 0/8000, short of initWal: no takeover, fence lifted.
        n1.Depart();
        n3.AnswerFence(WalFence.StopReceivingWal, "0/8000");
        Assert.Equal(WalFence.StopReceivingWal, n3.Probe.ExpectMsg<NodeProtocol.LiftFence>().Fence);
        Mediator.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
        Assert.Equal(RefusalReason.NotCaughtUp, CurrentState(coordinator).LastRefusal?.Reason);
        n2.Probe.ExpectNoMsg(TimeSpan.Zero);
    }

    [Fact]
    public void The_primary_names_a_new_sync_behind_its_fence_when_the_sync_departs()
    {
        var coordinator = StartCoordinator();
        var (n1, n2, _) = ThreeNodeCluster(coordinator);

        n2.Depart();
        n1.AnswerFence(new WalFence.NameSync("n3"), "0/7000");

        Assert.Equal("g2 P=n1 S=n3 A=[] D=[] W=0/7000", ExpectPublished(3).ToShortString());
        n1.Probe.ExpectNoMsg(TimeSpan.FromMilliseconds(200));   // the fence named the sync the state names: kept
    }

    /// <summary>Expects the publish of <paramref name="version"/> next, skipping any republish of an older one.</summary>
    private ClusterState NextVersionPublished(long version)
    {
        var publish = Mediator.FishForMessage<Akka.Cluster.Tools.PublishSubscribe.Publish>(
            p => p.Message is ClusterStateProtocol.StateChanged changed && changed.Version >= version);
        var state = Assert.IsType<ClusterStateProtocol.StateChanged>(publish.Message).State;
        Assert.Equal(version, state.Version);
        return state;
    }

    private ClusterStateProtocol.StateRecorded LastRecorded(Akka.Actor.IActorRef coordinator)
    {
        coordinator.Tell(ClusterStateProtocol.GetHistory.Instance, TestActor);
        return ExpectMsg<ClusterStateProtocol.History>().Entries[^1];
    }

    [Fact]
    public void A_sync_that_stays_a_member_with_its_PostgreSQL_down_is_replaced_once_it_has_been_down_long_enough()
    {
        // The coordinator's tick evaluates, as in production: a repeated "down" report changes nothing by itself.
        var coordinator = StartCoordinator(Settings() with { ReplaceDownSyncAfter = TimeSpan.FromSeconds(30), EvaluationInterval = TimeSpan.FromMilliseconds(100) });
        var (n1, n2, n3) = (Node(coordinator, "n1"), Node(coordinator, "n2"), Node(coordinator, "n3"));
        n1.Report();
        n2.Report();
        NextVersionPublished(1);
        n3.Report();
        Assert.Equal("g1 P=n1 S=n2 A=[n3] D=[] W=0/0", NextVersionPublished(2).ToShortString());

        // The coordinator reads the clock when it takes a report, so each report is taken before the clock moves on.
        void ReportThenAdvance(bool postgresUp, int seconds)
        {
            n2.Report(postgresUp);
            CurrentState(coordinator);
            Clock.Advance(TimeSpan.FromSeconds(seconds));
        }

        // Down, then up again: a restart costs nothing, and the clock starts over.
        ReportThenAdvance(postgresUp: false, 25);
        ReportThenAdvance(postgresUp: true, 10);
        ReportThenAdvance(postgresUp: false, 25);
        ReportThenAdvance(postgresUp: false, 0);
        n1.Probe.ExpectNoMsg(TimeSpan.FromMilliseconds(300));

        // Down for 31 s without a break: the primary names the running async behind its fence.
        ReportThenAdvance(postgresUp: false, 6);
        n1.AnswerFence(new WalFence.NameSync("n3"), "0/6000");
        var state = NextVersionPublished(3);
        Assert.Equal("g2 P=n1 S=n3 A=[n2] D=[] W=0/6000", state.ToShortString());
        var recorded = LastRecorded(coordinator);
        Assert.Equal(TransitionReason.SyncReplaced, recorded.Reason);
        Assert.Contains("down for 31 s", recorded.Detail);
    }
}
