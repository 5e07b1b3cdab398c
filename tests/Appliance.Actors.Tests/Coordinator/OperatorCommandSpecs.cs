using Appliance.Actors.Protocol;
using Appliance.Actors.Tests.Support;
using Appliance.Nodes.State;
using Xunit.Abstractions;

namespace Appliance.Actors.Tests.Coordinator;

/// <summary>Operator commands: each is answered, accepted as one write or refused with a reason and no write.</summary>
[Trait("Category", "Unit")]
public sealed class OperatorCommandSpecs(ITestOutputHelper output) : CoordinatorSpec(output)
{
    [Fact]
    public void Any_command_before_the_cluster_is_set_up_is_refused()
    {
        var coordinator = StartCoordinator();
        ExpectRefused(coordinator, new OperatorCommand.Freeze("maintenance"), RefusalReason.NoState);
        Assert.Null(CurrentState(coordinator).State);
    }

    [Fact]
    public void Freeze_and_unfreeze_are_accepted_once_and_refused_when_repeated()
    {
        var coordinator = StartCoordinator();
        ThreeNodeCluster(coordinator);

        var frozen = ExpectAccepted(coordinator, new OperatorCommand.Freeze("maintenance"));
        Assert.Equal(TransitionReason.Frozen, frozen.Recorded.Reason);
        Assert.Equal(new FreezeInfo("maintenance", Clock.Now), frozen.Recorded.State.Freeze);
        Assert.Equal(frozen.Recorded.State, ExpectPublished(3));

        ExpectRefused(coordinator, new OperatorCommand.Freeze("again"), RefusalReason.AlreadyFrozen);
        ExpectRefused(coordinator, new OperatorCommand.Switchover(), RefusalReason.ClusterFrozen);

        var unfrozen = ExpectAccepted(coordinator, new OperatorCommand.Unfreeze());
        Assert.Null(unfrozen.Recorded.State.Freeze);
        Assert.Equal(4, ExpectPublished(4).Version);
        ExpectRefused(coordinator, new OperatorCommand.Unfreeze(), RefusalReason.NotFrozen);

        // Refusals wrote nothing, and they do not pose as the cluster's own problem.
        var current = CurrentState(coordinator);
        Assert.Equal(4, current.State!.Version);
        Assert.Null(current.LastRefusal);
        Mediator.ExpectNoMsg(TimeSpan.FromMilliseconds(100));
    }

    [Fact]
    public void A_command_for_another_generation_is_refused()
    {
        var coordinator = StartCoordinator();
        ThreeNodeCluster(coordinator);
        ExpectRefused(coordinator, new OperatorCommand.Freeze("x") { ExpectedGeneration = 7 }, RefusalReason.StaleGeneration);
        ExpectAccepted(coordinator, new OperatorCommand.Freeze("x") { ExpectedGeneration = 1 });
    }

    [Fact]
    public void Switchover_to_the_sync_is_accepted_after_its_fence_and_deposes_the_primary()
    {
        var coordinator = StartCoordinator();
        var (_, n2, _) = ThreeNodeCluster(coordinator);

        coordinator.Tell(new OperatorProtocol.Submit(new OperatorCommand.Switchover()), TestActor);
        n2.AnswerFence(WalFence.StopReceivingWal, "0/4000");

        var accepted = ExpectMsg<OperatorProtocol.Accepted>();
        Assert.Equal(TransitionReason.Switchover, accepted.Recorded.Reason);
        Assert.Equal("g2 P=n2 S=n3 A=[] D=[n1] W=0/4000", accepted.Recorded.State.ToShortString());
        ExpectPublished(3);
    }

    [Fact]
    public void Switchover_is_refused_whole_when_the_sync_cannot_raise_its_fence()
    {
        var coordinator = StartCoordinator();
        var (_, n2, _) = ThreeNodeCluster(coordinator);

        coordinator.Tell(new OperatorProtocol.Submit(new OperatorCommand.Switchover()), TestActor);
        var probeId = n2.ExpectRaiseFence(WalFence.StopReceivingWal);
        n2.Probe.Reply(new NodeProtocol.FenceFailed(probeId, "n2", "PostgreSQL is not running"));

        Assert.Equal(RefusalReason.DatabaseOffline, ExpectMsg<OperatorProtocol.Refused>().Reason);
        n2.Probe.ExpectMsg<NodeProtocol.LiftFence>();
        Mediator.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
        Assert.Equal(2, CurrentState(coordinator).State!.Version);
    }

    [Fact]
    public void Switchover_to_an_unknown_peer_and_rebuild_of_a_serving_peer_are_refused()
    {
        var coordinator = StartCoordinator();
        ThreeNodeCluster(coordinator);
        ExpectRefused(coordinator, new OperatorCommand.Switchover("n9"), RefusalReason.UnknownPeer);
        ExpectRefused(coordinator, new OperatorCommand.Switchover("n1"), RefusalReason.InvalidRequest);
        ExpectRefused(coordinator, new OperatorCommand.Rebuild("n3"), RefusalReason.NotDeposed);
    }

    [Fact]
    public void Commands_are_decided_in_the_order_they_arrive()
    {
        var coordinator = StartCoordinator();
        ThreeNodeCluster(coordinator);

        coordinator.Tell(new OperatorProtocol.Submit(new OperatorCommand.Freeze("first")), TestActor);
        coordinator.Tell(new OperatorProtocol.Submit(new OperatorCommand.Freeze("second")), TestActor);
        coordinator.Tell(new OperatorProtocol.Submit(new OperatorCommand.Unfreeze()), TestActor);

        Assert.Equal("first", ExpectMsg<OperatorProtocol.Accepted>().Recorded.State.Freeze?.Reason);
        Assert.Equal(RefusalReason.AlreadyFrozen, ExpectMsg<OperatorProtocol.Refused>().Reason);
        Assert.Equal(4, ExpectMsg<OperatorProtocol.Accepted>().Recorded.State.Version);
    }
}
