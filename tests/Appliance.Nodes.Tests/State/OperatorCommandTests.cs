using Appliance.Nodes.State;
using static Appliance.Nodes.Tests.State.ScenarioCluster;

namespace Appliance.Nodes.Tests.State;

/// <summary>Every operator command is applied whole or refused with a reason; a refusal never changes the state.</summary>
[Trait("Category", "Unit")]
public class OperatorCommandTests
{
    private static ScenarioCluster ThreePeers() =>
        new ScenarioCluster().Join("node1", settle: false).Join("node2", settle: false).Join("node3");

    private static Refusal Refused(ScenarioCluster c, OperatorCommand command, RefusalReason reason)
    {
        var before = c.State;
        var refusal = Assert.IsType<Refusal>(c.Command(command));
        Assert.Equal(reason, refusal.Reason);
        Assert.Same(before, c.State);
        Assert.False(string.IsNullOrWhiteSpace(refusal.Detail));
        return refusal;
    }

    [Fact]
    public void CommandsBeforeSetup_AreRefusedWithNoState() =>
        Refused(new ScenarioCluster().Join("node1"), new OperatorCommand.Freeze("x"), RefusalReason.NoState);

    [Fact]
    public void Freeze_NeedsAReason_AndIsNotStacked()
    {
        var c = ThreePeers();
        Refused(c, new OperatorCommand.Freeze("  "), RefusalReason.InvalidRequest);
        Assert.IsType<Transition>(c.Command(new OperatorCommand.Freeze("disk replacement")));
        Assert.Equal(new FreezeInfo("disk replacement", Now), c.State!.Freeze);
        var refusal = Refused(c, new OperatorCommand.Freeze("again"), RefusalReason.AlreadyFrozen);
        Assert.Contains("disk replacement", refusal.Detail);
    }

    [Fact]
    public void Unfreeze_OfAnUnfrozenCluster_IsRefused() =>
        Refused(ThreePeers(), new OperatorCommand.Unfreeze(), RefusalReason.NotFrozen);

    [Fact]
    public void Switchover_WhileFrozen_IsRefused()
    {
        var c = ThreePeers();
        c.Command(new OperatorCommand.Freeze("hold"));
        Refused(c, new OperatorCommand.Switchover(), RefusalReason.ClusterFrozen);
    }

    [Fact]
    public void Switchover_InSingletonMode_IsRefused() =>
        Refused(new ScenarioCluster(ClusterMode.Singleton).Join("node1"), new OperatorCommand.Switchover(), RefusalReason.SingletonMode);

    [Fact]
    public void Switchover_ToADeposedPeer_IsRefused()
    {
        var c = ThreePeers();
        c.SetWal("node2", "0/A").Leave("node1").Join("node4").Join("node1");
        Refused(c, new OperatorCommand.Switchover("node1"), RefusalReason.InvalidRequest);
    }

    [Fact]
    public void Switchover_ToASyncThatIsNotAMember_IsRefusedNotProbed()
    {
        // Found by the property test: the rules asked to fence a sync that was gone, over and over.
        var c = ThreePeers().Join("node4");
        c.Leave("node2", settle: false);
        var refusal = Refused(c, new OperatorCommand.Switchover("node2"), RefusalReason.InvalidRequest);
        Assert.Contains("not a cluster member", refusal.Detail);
        Assert.Empty(c.Probes);
    }

    [Fact]
    public void Switchover_ToAnAsyncWhileThePrimaryIsGone_IsRefusedNotProbed()
    {
        // Found by the property test: moving async[0] up needs the primary to name it, and the primary was gone.
        var c = ThreePeers().Join("node4");
        c.Leave("node1", settle: false);
        var refusal = Refused(c, new OperatorCommand.Switchover("node3"), RefusalReason.InvalidRequest);
        Assert.Contains("only the sync", refusal.Detail);
        Assert.Empty(c.Probes);
    }

    [Fact]
    public void Switchover_ToAnAsyncWhosePostgresIsNotRunningYet_IsRefusedNotProbed()
    {
        // A cloning async holds WAL only from its clone's start: the old sync behind it could never catch up.
        var c = ThreePeers();
        c.PostgresDown("node3").Unreported("node3");
        var refusal = Refused(c, new OperatorCommand.Switchover("node3"), RefusalReason.DatabaseOffline);
        Assert.Contains("node3", refusal.Detail);
        c.Reported("node3", settle: false).PostgresDown("node3");
        Refused(c, new OperatorCommand.Switchover("node3"), RefusalReason.DatabaseOffline);
        Assert.Empty(c.Probes);
        c.PostgresUp("node3", settle: false);
        Assert.IsType<Transition>(c.Command(new OperatorCommand.Switchover("node3")));
        Assert.Equal("node3", c.State!.Sync!.Id);
    }

    [Fact]
    public void Switchover_ToTheSync_WhileTheAsyncThatWouldBecomeItsSyncIsStillCloning_IsRefusedNotProbed()
    {
        // The new primary would wait on every commit for a sync that cannot stream yet (found by the relief scenario).
        var c = ThreePeers();
        c.PostgresDown("node3");
        var refusal = Refused(c, new OperatorCommand.Switchover(), RefusalReason.DatabaseOffline);
        Assert.Contains("node3", refusal.Detail);
        Assert.Empty(c.Probes);
        c.PostgresUp("node3", settle: false);
        Assert.Equal(TransitionReason.Switchover, Assert.IsType<Transition>(c.Command(new OperatorCommand.Switchover())).Reason);
        Assert.Equal("node2", c.State!.Primary.Id);
        Assert.Equal("node3", c.State.Sync!.Id);
    }

    [Fact]
    public void Switchover_ToTheSync_WithTheOldPrimaryAlive_DeposesIt_AndItRejoinsByPolicy()
    {
        var c = new ScenarioCluster(rejoin: RejoinPolicy.Auto).Join("node1", settle: false).Join("node2", settle: false).Join("node3");
        c.SetWal("node2", "0/30");
        Assert.Equal(TransitionReason.Switchover, Assert.IsType<Transition>(c.Command(new OperatorCommand.Switchover())).Reason);
        Assert.Equal("g2 P=node2 S=node3 A=[] D=[node1] W=0/30", c.Describe());
        c.ReadyToRejoin("node1");
        Assert.Equal("g2 P=node2 S=node3 A=[node1] D=[] W=0/30", c.Describe());
    }

    [Fact]
    public void RebuildAndReap_OfPeersThatAreNotDeposed_AreRefused()
    {
        var c = ThreePeers();
        Refused(c, new OperatorCommand.Rebuild("node1"), RefusalReason.NotDeposed);
        Refused(c, new OperatorCommand.Reap("node3"), RefusalReason.NotDeposed);
        Refused(c, new OperatorCommand.Rebuild("nobody"), RefusalReason.UnknownPeer);
    }
}
