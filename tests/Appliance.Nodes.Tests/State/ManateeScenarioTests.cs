using Appliance.Nodes.State;

namespace Appliance.Nodes.Tests.State;

/// <summary>
/// Ports of manatee-state-machine tests with no Flynn mirror. Manatee's
/// <c>promote</c> object becomes our <see cref="OperatorCommand.Switchover"/>, decided at once instead of being left in
/// the state for a peer to act on, so the "ignored request" cases become refusals with a reason.
/// </summary>
[Trait("Category", "Unit")]
public class ManateeScenarioTests
{
    private static ScenarioCluster SixPeers()
    {
        var c = new ScenarioCluster();
        foreach (var id in new[] { "node1", "node2", "node3", "node4", "node5", "node6" }) c.Join(id, settle: false);
        return c.Settle();
    }

    [Fact]
    public void PromotePrimary_23_1_FirstAsyncSwapsWithTheSync_OldSyncHeadsTheChainNotDeposed()
    {
        var c = SixPeers();
        Assert.Equal("g1 P=node1 S=node2 A=[node3,node4,node5,node6] D=[] W=0/0", c.Describe());
        c.SetWal("node1", "0/A");
        var decision = c.Command(new OperatorCommand.Switchover("node3") { ExpectedGeneration = 1 });
        Assert.Equal(TransitionReason.Switchover, Assert.IsType<Transition>(decision).Reason);
        Assert.Equal("g2 P=node1 S=node3 A=[node2,node4,node5,node6] D=[] W=0/A", c.Describe());
    }

    [Fact]
    public void PromotePrimary_23_2_and_23_3_LaterAsyncSwapsWithItsUpstreamInTheSameGeneration()
    {
        var c = SixPeers();
        c.SetWal("node1", "0/A").Command(new OperatorCommand.Switchover("node3"));
        c.Command(new OperatorCommand.Switchover("node6") { ExpectedGeneration = 2 });
        Assert.Equal("g2 P=node1 S=node3 A=[node2,node4,node6,node5] D=[] W=0/A", c.Describe());
        c.Command(new OperatorCommand.Switchover("node4") { ExpectedGeneration = 2 });
        Assert.Equal("g2 P=node1 S=node3 A=[node4,node2,node6,node5] D=[] W=0/A", c.Describe());
    }

    public static TheoryData<string, OperatorCommand, RefusalReason> IgnoredPromotions => new()
    {
        // 23.4 role 'primary': the primary cannot be promoted.
        { "23.4 target is the primary", new OperatorCommand.Switchover("node1"), RefusalReason.InvalidRequest },
        // 23.6 / 23.12: an id that names no sync or async.
        { "23.12 nonexistent peer", new OperatorCommand.Switchover("node999"), RefusalReason.UnknownPeer },
        // 23.10: a generation from the future.
        { "23.10 generation 100", new OperatorCommand.Switchover("node3") { ExpectedGeneration = 100 }, RefusalReason.StaleGeneration },
        // 23.11: a stale generation.
        { "23.11 generation 0 (stale)", new OperatorCommand.Switchover("node3") { ExpectedGeneration = 0 }, RefusalReason.StaleGeneration },
    };

    [Theory]
    [MemberData(nameof(IgnoredPromotions))]
    public void PromotePrimary_23_4_to_23_14_InvalidRequestsLeaveTheStateAlone(string manateeCase, OperatorCommand command, RefusalReason expected)
    {
        var c = SixPeers();
        var before = c.State;
        var refusal = Assert.IsType<Refusal>(c.Command(command));
        Assert.True(expected == refusal.Reason, $"{manateeCase}: expected {expected}, got {refusal.Reason}: {refusal.Detail}");
        Assert.Same(before, c.State);
        Assert.False(string.IsNullOrWhiteSpace(refusal.Detail));
    }

    [Fact]
    public void PromoteSync_24_RefusedWithoutAsyncs_ThenDeposesTheLivePrimary()
    {
        var c = new ScenarioCluster().Join("node2", settle: false).Join("node1");
        Assert.Equal("g1 P=node2 S=node1 A=[] D=[] W=0/0", c.Describe());
        var refusal = Assert.IsType<Refusal>(c.Command(new OperatorCommand.Switchover("node1")));
        Assert.Equal(RefusalReason.NoAsyncAvailable, refusal.Reason);
        Assert.Equal("g1 P=node2 S=node1 A=[] D=[] W=0/0", c.Describe());

        c.Join("node3").Join("node4").Join("node5");
        Assert.Equal("g1 P=node2 S=node1 A=[node3,node4,node5] D=[] W=0/0", c.Describe());
        c.SetWal("node1", "0/A");
        Assert.IsType<Transition>(c.Command(new OperatorCommand.Switchover("node1") { ExpectedGeneration = 1 }));
        Assert.Equal("g2 P=node1 S=node3 A=[node4,node5] D=[node2] W=0/A", c.Describe());
        Assert.Contains("node2", c.MemberIds);
        Assert.Equal(PeerRole.Deposed, c.RoleOf("node2").Role);
    }

    [Fact]
    public void PromoteSync_24_SyncBehindInitWalIsNotPromoted()
    {
        var c = new ScenarioCluster().Join("node2", settle: false).Join("node1", settle: false).Join("node3");
        c.SetWal("node2", "0/A").Command(new OperatorCommand.Switchover("node3"));   // g2, initWal 0/A
        Assert.Equal("g2 P=node2 S=node3 A=[node1] D=[] W=0/A", c.Describe());
        c.SetWal("node3", "0/9");
        var refusal = Assert.IsType<Refusal>(c.Command(new OperatorCommand.Switchover()));
        Assert.Equal(RefusalReason.NotCaughtUp, refusal.Reason);
        Assert.Equal("g2 P=node2 S=node3 A=[node1] D=[] W=0/A", c.Describe());
    }

    [Fact]
    public void Freeze_25_AsyncChangesWhileFrozenKeepTheFreeze_MANATEE_280()
    {
        var c = new ScenarioCluster().Join("node1", settle: false).Join("node2", settle: false).Join("node3");
        c.Command(new OperatorCommand.Freeze("upgrade"));
        var frozenSince = c.State!.Freeze;
        c.Leave("node3");
        Assert.Equal("g1 P=node1 S=node2 A=[] D=[] W=0/0 frozen(upgrade)", c.Describe());
        c.Join("node3");
        Assert.Equal("g1 P=node1 S=node2 A=[node3] D=[] W=0/0 frozen(upgrade)", c.Describe());
        Assert.Equal(frozenSince, c.State!.Freeze);
        c.Leave("node2");
        Assert.Equal(RefusalReason.ClusterFrozen, Assert.IsType<Refusal>(c.LastRest).Reason);
        c.Join("node2");
        Assert.IsType<NoChange>(c.LastRest);
        c.Command(new OperatorCommand.Unfreeze());
        c.SetWal("node1", "0/A").Leave("node2");
        Assert.Equal("g2 P=node1 S=node3 A=[] D=[] W=0/A", c.Describe());
    }

    [Fact]
    public void OnwmUpgrade_27_HoldsOffWithoutAPeer_ThenUpgradesAndReplacesSync()
    {
        var c = new ScenarioCluster(ClusterMode.Singleton).Join("node1");
        Assert.True(c.State!.Singleton);
        c.Mode = ClusterMode.Normal;                       // operator reconfigures the node as normal
        c.Command(new OperatorCommand.Unfreeze());
        Assert.Equal(RefusalReason.NotEnoughPeers, Assert.IsType<Refusal>(c.LastRest).Reason);
        c.SetWal("node1", "0/A").Join("node2");
        Assert.Equal("g2 P=node1 S=node2 A=[] D=[] W=0/A", c.Describe());
        c.Join("node3");
        c.SetWal("node1", "0/14").Leave("node2");
        c.Join("node2");
        Assert.Equal("g3 P=node1 S=node3 A=[node2] D=[] W=0/14", c.Describe());
    }
}
