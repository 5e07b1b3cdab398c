using Appliance.Nodes.State;
using static Appliance.Nodes.Tests.State.ScenarioCluster;

namespace Appliance.Nodes.Tests.State;

/// <summary>
/// Ports of Flynn's <c>pkg/sirenia/state/state_test.go</c>, translated to the central
/// coordinator: the simulator's "node1 under test" is any peer, and the simulator's stand-ins for remote primaries
/// (appending asyncs, <c>depose</c>) become the coordinator's own rules (async upkeep, the primary leaving).
/// Where our outcome differs from Flynn's, the test says why.
/// </summary>
[Trait("Category", "Unit")]
public class FlynnStateScenarioTests
{
    private static ScenarioCluster BasicBootstrapped()
    {
        var c = new ScenarioCluster();
        c.Join("node2", settle: false).Join("node3", settle: false).Join("node1", settle: false).Settle();
        return c;
    }

    [Fact]
    public void TestBasic_1_1_to_1_5_BootstrapInJoinOrder_Node1IsAsyncOfTheSync()
    {
        var c = new ScenarioCluster();
        Assert.Null(c.State);
        c = BasicBootstrapped();
        Assert.Equal(["node2", "node3", "node1"], c.MemberIds);
        Assert.Equal("g1 P=node2 S=node3 A=[node1] D=[] W=0/0", c.Describe());
        Assert.Equal(TransitionReason.InitialSetup, Assert.Single(c.History).Reason);
        var role = c.RoleOf("node1");
        Assert.Equal(PeerRole.Async, role.Role);
        Assert.Equal("node3", role.Upstream!.Id);
    }

    [Fact]
    public void TestBasic_1_6_to_1_7_Depose_AsyncBecomesSync_RebuiltPeerRejoinsAsAsync()
    {
        var c = BasicBootstrapped();
        c.SetWal("node3", "0/A").Leave("node2");
        Assert.Equal("g2 P=node3 S=node1 A=[] D=[node2] W=0/A", c.Describe());
        Assert.Equal(TransitionReason.SyncTakeover, c.History[^1].Reason);
        Assert.Equal(new RoleAssignment(PeerRole.Sync, Peer("node3"), null), c.RoleOf("node1"));

        Assert.IsType<Transition>(c.Command(new OperatorCommand.Rebuild("node2")));
        c.Join("node2");
        Assert.Equal("g2 P=node3 S=node1 A=[node2] D=[] W=0/A", c.Describe());
        Assert.Equal(new RoleAssignment(PeerRole.Sync, Peer("node3"), Peer("node2")), c.RoleOf("node1"));
    }

    [Fact]
    public void TestBasic_1_8_to_1_10_SyncBehindInitWal_NoTakeoverUntilCaughtUp()
    {
        var c = BasicBootstrapped();
        c.SetWal("node3", "0/A").Leave("node2");
        c.Command(new OperatorCommand.Rebuild("node2"));
        c.Join("node2");
        var before = c.State;

        // 1.8: the primary dies while the sync (node1, at 0/0) is short of initWal 0/A: no takeover.
        c.Leave("node3");
        Assert.Same(before, c.State);
        Assert.Equal(RefusalReason.NotCaughtUp, Assert.IsType<Refusal>(c.LastRest).Reason);

        // 1.9: the primary comes back: nothing changes.
        c.Join("node3");
        Assert.Same(before, c.State);
        Assert.IsType<NoChange>(c.LastRest);

        // 1.10: caught up, then the primary dies: node1 takes over with initWal = its replay position.
        c.SetWal("node1", "0/14").Leave("node3");
        Assert.Equal("g3 P=node1 S=node2 A=[] D=[node3] W=0/14", c.Describe());
    }

    [Fact]
    public void TestBasic_1_11_to_1_16_SyncReplacedByPrimary_AsyncsComeAndGo_PrimaryDeposed()
    {
        var c = BasicBootstrapped();
        c.SetWal("node3", "0/A").Leave("node2");
        c.Command(new OperatorCommand.Rebuild("node2"));
        c.Join("node2");
        c.SetWal("node1", "0/14").Leave("node3");

        c.Command(new OperatorCommand.Rebuild("node3"));                 // 1.11
        c.Join("node3");
        Assert.Equal("g3 P=node1 S=node2 A=[node3] D=[] W=0/14", c.Describe());

        c.SetWal("node1", "0/1E").Leave("node2");                          // 1.12 sync dies
        Assert.Equal("g4 P=node1 S=node3 A=[] D=[] W=0/1E", c.Describe());
        Assert.Equal(TransitionReason.SyncReplaced, c.History[^1].Reason);
        Assert.Equal("node3", c.RoleOf("node1").Downstream!.Id);

        c.Join("node2");                                                   // 1.13 old sync back, no rebuild
        Assert.Equal("g4 P=node1 S=node3 A=[node2] D=[] W=0/1E", c.Describe());
        c.Join("node4");                                                   // 1.14
        Assert.Equal("g4 P=node1 S=node3 A=[node2,node4] D=[] W=0/1E", c.Describe());
        c.Leave("node4");                                                  // 1.15
        Assert.Equal("g4 P=node1 S=node3 A=[node2] D=[] W=0/1E", c.Describe());

        c.SetWal("node3", "0/28").Leave("node1");                          // 1.16 depose node1
        Assert.Equal("g5 P=node3 S=node2 A=[] D=[node1] W=0/28", c.Describe());
        Assert.Equal(PeerRole.Deposed, c.RoleOf("node1").Role);
    }

    [Fact]
    public void TestClusterSetupDelay_2_AlonePeerWaits_SecondPeerTriggersSetup()
    {
        var c = new ScenarioCluster().Join("node1");
        Assert.Null(c.State);
        Assert.Equal(RefusalReason.NotEnoughPeers, Assert.IsType<Refusal>(c.LastRest).Reason);
        c.Join("node2");
        Assert.Equal("g1 P=node1 S=node2 A=[] D=[] W=0/0", c.Describe());
        Assert.Equal(new RoleAssignment(PeerRole.Primary, null, Peer("node2")), c.RoleOf("node1"));
    }

    [Fact]
    public void TestClusterSetupImmediate_3_TwoPeersAtOnce()
    {
        var c = new ScenarioCluster().Join("node1", settle: false).Join("node2", settle: false).Settle();
        Assert.Equal("g1 P=node1 S=node2 A=[] D=[] W=0/0", c.Describe());
        Assert.Equal(1, c.State!.Version);
    }

    [Fact]
    public void TestClusterSetupSingleton_4_OnePeerFrozenSingletonPrimary()
    {
        var c = new ScenarioCluster(ClusterMode.Singleton).Join("node1");
        Assert.Equal("g1 P=node1 S=- A=[] D=[] W=0/0 singleton frozen(cluster started in singleton mode)", c.Describe());
        Assert.Equal(Now, c.State!.Freeze!.Since);
        Assert.Equal(new RoleAssignment(PeerRole.Primary, null, null), c.RoleOf("node1"));
    }

    [Fact]
    public void TestSetupPassive_5_SecondPeerBecomesSync()
    {
        var c = new ScenarioCluster().Join("node2", settle: false).Join("node1");
        Assert.Equal("g1 P=node2 S=node1 A=[] D=[] W=0/0", c.Describe());
        Assert.Equal(new RoleAssignment(PeerRole.Sync, Peer("node2"), null), c.RoleOf("node1"));
    }

    [Fact]
    public void TestNoFlap_6_1_NoTakeoverWithoutAnAsync()
    {
        var c = new ScenarioCluster().Join("node2", settle: false).Join("node1");
        var before = c.State;
        c.Leave("node2");
        Assert.Same(before, c.State);
        Assert.Equal(RefusalReason.NoAsyncAvailable, Assert.IsType<Refusal>(c.LastRest).Reason);
        Assert.Equal(PeerRole.Sync, c.RoleOf("node1").Role);
    }

    [Fact]
    public void TestNoFlap_6_2_NewPeerMakesTakeoverPossible()
    {
        var c = new ScenarioCluster().Join("node2", settle: false).Join("node1");
        c.Leave("node2").Join("node3");
        // Flynn's simulator first appended node3 to the asyncs for the dead primary; the coordinator takes the
        // newcomer as the new sync in the takeover itself. Same resulting state.
        Assert.Equal("g2 P=node1 S=node3 A=[] D=[node2] W=0/0", c.Describe());
        Assert.Equal("node3", c.RoleOf("node1").Downstream!.Id);
    }

    [Fact]
    public void TestNoFlap_6_3_NoNewGenerationWhenSyncFailsWithoutAsync()
    {
        var c = new ScenarioCluster().Join("node2", settle: false).Join("node1");
        c.Leave("node2").Join("node3");
        c.Command(new OperatorCommand.Reap("node2"));
        var before = c.State!;
        c.Leave("node3");
        Assert.Equal(before, c.State);
        Assert.Equal(RefusalReason.NoAsyncAvailable, Assert.IsType<Refusal>(c.LastRest).Reason);
    }

    [Fact]
    public void TestNoFlap_6_4_Manatee_ReturningPeerReplacesTheDeadSync()
    {
        var c = new ScenarioCluster().Join("node2", settle: false).Join("node1");
        c.Leave("node2").Join("node3");
        c.Command(new OperatorCommand.Rebuild("node2"));
        c.Leave("node3");
        c.SetWal("node1", "0/A").Join("node2");
        Assert.Equal("g3 P=node1 S=node2 A=[] D=[] W=0/A", c.Describe());
        Assert.Equal(TransitionReason.SyncReplaced, c.History[^1].Reason);
    }

    [Fact]
    public void TestSingleton_7_SingletonPrimaryIgnoresOtherPeers()
    {
        var c = new ScenarioCluster(ClusterMode.Singleton).Join("node1", settle: false)
            .SetState(StateOf(1, "node1", null, singleton: true, frozen: InitialSetup.SingletonFreezeReason));
        var before = c.State;
        Assert.Equal(new RoleAssignment(PeerRole.Primary, null, null), c.RoleOf("node1"));
        c.Join("node2");
        Assert.Same(before, c.State);
        c.Leave("node2");
        Assert.Same(before, c.State);
        Assert.Equal(PeerRole.Unassigned, c.RoleOf("node2").Role);
    }

    [Fact]
    public void TestSingletonSecond_8_OtherPeerStaysUnassignedEvenWhenThePrimaryGoes()
    {
        var c = new ScenarioCluster(ClusterMode.Singleton).Join("node2", settle: false).Join("node1", settle: false)
            .SetState(StateOf(1, "node2", null, singleton: true, frozen: InitialSetup.SingletonFreezeReason));
        Assert.Equal(PeerRole.Unassigned, c.RoleOf("node1").Role);
        var before = c.State;
        c.Leave("node2");
        Assert.Same(before, c.State);
        Assert.Equal(PeerRole.Unassigned, c.RoleOf("node1").Role);
        Assert.Equal(RefusalReason.PrimaryAndSyncLost, Assert.IsType<Refusal>(c.LastRest).Reason);
    }

    [Fact]
    public void TestSingletonUpgradeToNormal_9_UnfreezeThenSecondPeerBecomesSync()
    {
        var c = new ScenarioCluster(ClusterMode.Normal).Join("node1", settle: false)
            .SetState(StateOf(1, "node1", null, singleton: true, frozen: InitialSetup.SingletonFreezeReason));
        Assert.Equal(RefusalReason.ClusterFrozen, Assert.IsType<Refusal>(c.LastRest).Reason);
        Assert.Equal(PeerRole.Primary, c.RoleOf("node1").Role);

        Assert.IsType<Transition>(c.Command(new OperatorCommand.Unfreeze()));
        Assert.Equal("g1 P=node1 S=- A=[] D=[] W=0/0 singleton", c.Describe());
        Assert.Equal(RefusalReason.NotEnoughPeers, Assert.IsType<Refusal>(c.LastRest).Reason);

        c.SetWal("node1", "0/A").Join("node2");
        Assert.Equal("g2 P=node1 S=node2 A=[] D=[] W=0/A", c.Describe());
        Assert.Equal(TransitionReason.SingletonToNormal, c.History[^1].Reason);
        Assert.Equal("node2", c.RoleOf("node1").Downstream!.Id);

        c.Join("node3");
        c.SetWal("node1", "0/14").Leave("node2");
        Assert.Equal("g3 P=node1 S=node3 A=[] D=[] W=0/14", c.Describe());
        c.Join("node2");
        Assert.Equal("g3 P=node1 S=node3 A=[node2] D=[] W=0/14", c.Describe());
    }

    [Fact]
    public void TestStartDeposed_10_DeposedPeerComesBackDeposed()
    {
        var c = new ScenarioCluster().Join("node1", settle: false).Join("node2", settle: false).Join("node3");
        Assert.Equal("g1 P=node1 S=node2 A=[node3] D=[] W=0/0", c.Describe());
        c.SetWal("node2", "0/A").Leave("node1");
        Assert.Equal("g2 P=node2 S=node3 A=[] D=[node1] W=0/A", c.Describe());
        c.Join("node1");
        Assert.Equal("g2 P=node2 S=node3 A=[] D=[node1] W=0/A", c.Describe());
        Assert.Equal(RoleAssignment.Deposed, c.RoleOf("node1"));
    }

    [Fact]
    public void TestStartPrimary_11_PrimaryReplacesDeadSync_OldSyncRejoinsAsAsync()
    {
        var c = new ScenarioCluster().Join("node1", settle: false).Join("node2", settle: false).Join("node3");
        Assert.Equal(new RoleAssignment(PeerRole.Primary, null, Peer("node2")), c.RoleOf("node1"));
        c.SetWal("node1", "0/A").Leave("node2");
        Assert.Equal("g2 P=node1 S=node3 A=[] D=[] W=0/A", c.Describe());
        c.Join("node2");
        Assert.Equal("g2 P=node1 S=node3 A=[node2] D=[] W=0/A", c.Describe());
    }

    [Fact]
    public void TestStartPrimaryAsync_12_RebootWithSyncLast_WaitsForPrimaryDatabaseThenReplacesSync()
    {
        var c = new ScenarioCluster().Join("node1", settle: false).Join("node3", settle: false)
            .PostgresDown("node1").SetWal("node1", "0/A")
            .SetState(StateOf(1, "node1", "node2", ["node3"]));
        Assert.Equal("g1 P=node1 S=node2 A=[node3] D=[] W=0/0", c.Describe());
        Assert.Equal(RefusalReason.DatabaseOffline, Assert.IsType<Refusal>(c.LastRest).Reason);
        c.PostgresUp("node1");
        Assert.Equal("g2 P=node1 S=node3 A=[] D=[] W=0/A", c.Describe());
    }

    [Fact]
    public void TestStartSync_13_SyncTakesOverThenLaterReplacesItsOwnSync()
    {
        var c = new ScenarioCluster().Join("node3", settle: false).Join("node1", settle: false).Join("node2");
        Assert.Equal("g1 P=node3 S=node1 A=[node2] D=[] W=0/0", c.Describe());
        Assert.Equal(new RoleAssignment(PeerRole.Sync, Peer("node3"), Peer("node2")), c.RoleOf("node1"));
        c.SetWal("node1", "0/A").Leave("node3");
        Assert.Equal("g2 P=node1 S=node2 A=[] D=[node3] W=0/A", c.Describe());
        c.Command(new OperatorCommand.Rebuild("node3"));
        c.Join("node3");
        Assert.Equal("g2 P=node1 S=node2 A=[node3] D=[] W=0/A", c.Describe());
        c.SetWal("node1", "0/14").Leave("node2");
        Assert.Equal("g3 P=node1 S=node3 A=[] D=[] W=0/14", c.Describe());
        c.Join("node2");
        Assert.Equal("g3 P=node1 S=node3 A=[node2] D=[] W=0/14", c.Describe());
    }

    [Fact]
    public void TestStartSyncAsync_14_RebootWithPrimaryLast_TakeoverOnceSyncDatabaseIsUp()
    {
        var c = new ScenarioCluster().Join("node3", settle: false).Join("node1", settle: false)
            .PostgresDown("node1")
            .SetState(StateOf(1, "node2", "node1", ["node3"]));
        Assert.Equal("g1 P=node2 S=node1 A=[node3] D=[] W=0/0", c.Describe());
        Assert.Equal(RefusalReason.DatabaseOffline, Assert.IsType<Refusal>(c.LastRest).Reason);
        c.PostgresUp("node1");
        Assert.Equal("g2 P=node1 S=node3 A=[] D=[node2] W=0/0", c.Describe());
        Assert.Equal("node3", c.RoleOf("node1").Downstream!.Id);
    }

    [Fact]
    public void TestStartSyncAlone_15_SyncWithoutAsyncNeverTakesOver()
    {
        var c = new ScenarioCluster().Join("node1", settle: false).SetState(StateOf(1, "node2", "node1"));
        Assert.Equal("g1 P=node2 S=node1 A=[] D=[] W=0/0", c.Describe());
        Assert.Equal(RefusalReason.NoAsyncAvailable, Assert.IsType<Refusal>(c.LastRest).Reason);
        Assert.Equal(new RoleAssignment(PeerRole.Sync, Peer("node2"), null), c.RoleOf("node1"));
    }

    [Fact]
    public void TestStartUnassigned_16_UnassignedPeerJoinsOnceThePrimaryIsBack()
    {
        var c = new ScenarioCluster().Join("node1", settle: false).SetState(StateOf(1, "node2", "node3"));
        Assert.Equal(PeerRole.Unassigned, c.RoleOf("node1").Role);
        Assert.Equal(RefusalReason.PrimaryAndSyncLost, Assert.IsType<Refusal>(c.LastRest).Reason);

        // Flynn keeps node1 unassigned until a setClusterState names it; the coordinator is the primary's upkeep,
        // so node1 joins the chain as soon as the primary is back. It reaches the state Flynn then sets by hand.
        c.Join("node2", settle: false).Join("node3");
        Assert.Equal("g1 P=node2 S=node3 A=[node1] D=[] W=0/0", c.Describe());
        Assert.Equal(new RoleAssignment(PeerRole.Async, Peer("node3"), null, 0), c.RoleOf("node1"));

        c.Join("node4");
        Assert.Equal("g1 P=node2 S=node3 A=[node1,node4] D=[] W=0/0", c.Describe());
        c.SetWal("node3", "0/A").Leave("node2");
        Assert.Equal("g2 P=node3 S=node1 A=[node4] D=[node2] W=0/A", c.Describe());
        Assert.Equal(new RoleAssignment(PeerRole.Sync, Peer("node3"), Peer("node4")), c.RoleOf("node1"));
        c.SetWal("node1", "0/14").Leave("node3");
        Assert.Equal("g3 P=node1 S=node4 A=[] D=[node2,node3] W=0/14", c.Describe());
    }

    [Fact]
    public void TestMultiAsync_17_SuccessiveSyncLossesPromoteAsyncsInChainOrder()
    {
        var c = new ScenarioCluster().Join("node1", settle: false).Join("node2", settle: false)
            .Join("node3", settle: false).Join("node4");
        Assert.Equal("g1 P=node1 S=node2 A=[node3,node4] D=[] W=0/0", c.Describe());
        c.SetWal("node1", "0/A").Leave("node2");
        Assert.Equal("g2 P=node1 S=node3 A=[node4] D=[] W=0/A", c.Describe());
        c.SetWal("node1", "0/14").Leave("node3");
        Assert.Equal("g3 P=node1 S=node4 A=[] D=[] W=0/14", c.Describe());
    }

    [Fact]
    public void TestFreezePrimary_18_ManateeSemantics_AsyncUpkeepContinuesWhileFrozen_GenerationsWait()
    {
        var c = new ScenarioCluster().Join("node1", settle: false).Join("node2", settle: false).Join("node3");
        Assert.IsType<Transition>(c.Command(new OperatorCommand.Freeze("maintenance")));
        Assert.Equal("g1 P=node1 S=node2 A=[node3] D=[] W=0/0 frozen(maintenance)", c.Describe());

        // Flynn ignores this join while frozen; Manatee (our choice, DESIGN §3) updates the chain and keeps the freeze.
        c.Join("node4");
        Assert.Equal("g1 P=node1 S=node2 A=[node3,node4] D=[] W=0/0 frozen(maintenance)", c.Describe());

        c.SetWal("node1", "0/A").Leave("node2");
        Assert.Equal("g1 P=node1 S=node2 A=[node3,node4] D=[] W=0/0 frozen(maintenance)", c.Describe());
        Assert.Equal(RefusalReason.ClusterFrozen, Assert.IsType<Refusal>(c.LastRest).Reason);

        c.Command(new OperatorCommand.Unfreeze());
        Assert.Equal("g2 P=node1 S=node3 A=[node4] D=[] W=0/A", c.Describe());

        c.Command(new OperatorCommand.Freeze("again"));
        c.Leave("node4");
        Assert.Equal("g2 P=node1 S=node3 A=[] D=[] W=0/A frozen(again)", c.Describe());
        c.Command(new OperatorCommand.Unfreeze());
        Assert.Equal("g2 P=node1 S=node3 A=[] D=[] W=0/A", c.Describe());
    }

    [Fact]
    public void TestFreezeSync_19_NoTakeoverWhileFrozen_TakeoverOnUnfreeze()
    {
        var c = new ScenarioCluster().Join("node2", settle: false).Join("node1", settle: false).Join("node3", settle: false)
            .SetState(StateOf(1, "node2", "node1", ["node3"], frozen: "hold"));
        c.SetWal("node1", "0/A").Leave("node2");
        Assert.Equal("g1 P=node2 S=node1 A=[node3] D=[] W=0/0 frozen(hold)", c.Describe());
        Assert.Equal(RefusalReason.ClusterFrozen, Assert.IsType<Refusal>(c.LastRest).Reason);
        c.Command(new OperatorCommand.Unfreeze());
        Assert.Equal("g2 P=node1 S=node3 A=[] D=[node2] W=0/A", c.Describe());
    }

    [Fact]
    public void TestAsyncChangeUpstream_20_ChainClosesOverDeadAsyncs()
    {
        var c = new ScenarioCluster();
        foreach (var id in new[] { "node2", "node3", "node4", "node5", "node1" }) c.Join(id, settle: false);
        c.SetState(StateOf(1, "node2", "node3", ["node4", "node5", "node1"]));
        Assert.Equal(new RoleAssignment(PeerRole.Async, Peer("node5"), null, 2), c.RoleOf("node1"));
        c.Leave("node5");
        Assert.Equal("g1 P=node2 S=node3 A=[node4,node1] D=[] W=0/0", c.Describe());
        Assert.Equal(new RoleAssignment(PeerRole.Async, Peer("node4"), null, 1), c.RoleOf("node1"));
        Assert.Equal(new RoleAssignment(PeerRole.Async, Peer("node3"), Peer("node1"), 0), c.RoleOf("node4"));
        c.Leave("node4");
        Assert.Equal(new RoleAssignment(PeerRole.Async, Peer("node3"), null, 0), c.RoleOf("node1"));
        Assert.Equal(1, c.State!.Generation);
    }

    [Fact]
    public void TestRemovedAsync_21_RemovedAsyncBecomesUnassigned()
    {
        var c = new ScenarioCluster().Join("node2", settle: false).Join("node3", settle: false).Join("node1");
        Assert.Equal(PeerRole.Async, c.RoleOf("node1").Role);
        c.Leave("node1");
        Assert.Equal("g1 P=node2 S=node3 A=[] D=[] W=0/0", c.Describe());
        Assert.Equal(RoleAssignment.Unassigned, c.RoleOf("node1"));
    }

    [Fact]
    public void TestRemovedSync_22_ReplacedSyncBecomesUnassigned()
    {
        var c = new ScenarioCluster().Join("node2", settle: false).Join("node1", settle: false).Join("node3");
        Assert.Equal(PeerRole.Sync, c.RoleOf("node1").Role);
        c.Leave("node1");
        Assert.Equal("g2 P=node2 S=node3 A=[] D=[] W=0/0", c.Describe());
        Assert.Equal(RoleAssignment.Unassigned, c.RoleOf("node1"));
    }
}
