using Appliance.Nodes.State;
using static Appliance.Nodes.Tests.State.ScenarioCluster;

namespace Appliance.Nodes.Tests.State;

/// <summary>
/// Issue 15 parts 3–5 in the rules: maintenance (a peer treated as gone), the forced failover with accepted data loss,
/// the scheduled switchover and the <c>nofailover</c> tag.
/// </summary>
[Trait("Category", "Unit")]
public class OperationsRuleTests
{
    /// <summary>node1 primary, node2 sync, node3 and node4 asyncs, all at 0/100.</summary>
    private static ScenarioCluster FourPeers()
    {
        var c = new ScenarioCluster(rejoin: RejoinPolicy.Auto);
        foreach (var id in new[] { "node1", "node2", "node3", "node4" }) c.Join(id, settle: false).SetWal(id, "0/100");
        c.Settle();
        Assert.Equal("g1 P=node1 S=node2 A=[node3,node4] D=[] W=0/0", c.Describe());
        return c;
    }

    private static Refusal Refused(ScenarioCluster c, OperatorCommand command, RefusalReason reason)
    {
        var before = c.State;
        var refusal = Assert.IsType<Refusal>(c.Command(command));
        Assert.Equal(reason, refusal.Reason);
        Assert.Same(before, c.State);
        return refusal;
    }

    // ---- maintenance ----

    [Fact]
    public void Maintenance_takes_an_async_out_of_the_chain_while_present_and_off_brings_it_back_at_the_tail()
    {
        var c = FourPeers();
        var t = Assert.IsType<Transition>(c.Command(new OperatorCommand.Maintenance("node3", On: true)));
        Assert.Equal(TransitionReason.MaintenanceOn, t.Reason);
        Assert.Equal(1, c.State!.Generation);
        Assert.Equal(["node4"], c.State.Async.Select(a => a.Id));
        Assert.Equal(PeerRole.Maintenance, c.RoleOf("node3").Role);
        // Still a member, but the rules treat it as gone: async upkeep does not add it back.
        c.Settle();
        Assert.Equal(["node4"], c.State.Async.Select(a => a.Id));

        Assert.IsType<Transition>(c.Command(new OperatorCommand.Maintenance("node3", On: false)));
        Assert.Equal(["node4", "node3"], c.State.Async.Select(a => a.Id));
        Assert.Empty(c.State.Maintenance);
    }

    [Fact]
    public void Maintenance_is_refused_for_the_primary_the_sync_a_deposed_peer_and_unknown_peers()
    {
        var c = FourPeers();
        Assert.Contains("switchover", Refused(c, new OperatorCommand.Maintenance("node1", true), RefusalReason.SwitchoverFirst).Detail);
        Assert.Contains("switchover --to node3", Refused(c, new OperatorCommand.Maintenance("node2", true), RefusalReason.SwitchoverFirst).Detail);
        Refused(c, new OperatorCommand.Maintenance("node9", true), RefusalReason.UnknownPeer);
        Refused(c, new OperatorCommand.Maintenance("node3", false), RefusalReason.InvalidRequest);
        c.Leave("node1");
        Assert.True(c.State!.IsDeposed("node1"));
        c.Join("node1");
        Refused(c, new OperatorCommand.Maintenance("node1", true), RefusalReason.InvalidRequest);
    }

    [Fact]
    public void A_peer_in_maintenance_is_never_chosen_as_the_new_sync()
    {
        var c = FourPeers();
        c.Command(new OperatorCommand.Maintenance("node3", true));
        c.Command(new OperatorCommand.Maintenance("node4", true));
        c.Leave("node2");
        var refusal = Assert.IsType<Refusal>(c.LastRest);
        Assert.Equal(RefusalReason.NoAsyncAvailable, refusal.Reason);
        Assert.Equal("node2", c.State!.Sync!.Id);

        c.Command(new OperatorCommand.Maintenance("node4", false));
        Assert.Equal("node4", c.State.Sync!.Id);
        Assert.Equal(2, c.State.Generation);
    }

    [Fact]
    public void A_switchover_to_a_peer_in_maintenance_is_refused()
    {
        var c = FourPeers();
        c.Command(new OperatorCommand.Maintenance("node3", true));
        Assert.Contains("maintenance", Refused(c, new OperatorCommand.Switchover("node3"), RefusalReason.InvalidRequest).Detail);
    }

    [Fact]
    public void A_state_that_gives_a_peer_in_maintenance_a_role_is_invalid()
    {
        var s = StateOf(1, "node1", "node2", ["node3"]) with { Maintenance = ["node3"] };
        Assert.Contains(s.Validate(), p => p.Contains("maintenance"));
    }

    // ---- forced failover ----

    /// <summary>node1 primary at 0/300, node2 sync at 0/280, node3 at 0/200, node4 at 0/180; initWal 0/150; then node1 and node2 are lost.</summary>
    private static ScenarioCluster PrimaryAndSyncLost()
    {
        var c = FourPeers();
        c.SetState(c.State! with { Version = c.State.Version + 1, InitWal = Lsn.Parse("0/150"), InitHistory = TimelineHistory.First }, settle: false);
        c.SetWal("node1", "0/300").SetWal("node2", "0/280").SetWal("node3", "0/200").SetWal("node4", "0/180");
        c.Leave("node1", settle: false).Leave("node2");
        Assert.Equal(RefusalReason.PrimaryAndSyncLost, Assert.IsType<Refusal>(c.LastRest).Reason);
        return c;
    }

    [Fact]
    public void A_forced_failover_is_refused_without_accepting_data_loss_and_while_a_safe_path_exists()
    {
        var c = FourPeers();
        Refused(c, new OperatorCommand.Failover("node3", AcceptDataLoss: true), RefusalReason.SafePathExists);
        c.Leave("node1");   // the sync takes over by itself
        Assert.Equal("node2", c.State!.Primary.Id);

        var lost = PrimaryAndSyncLost();
        Refused(lost, new OperatorCommand.Failover("node3", AcceptDataLoss: false), RefusalReason.DataLossNotAccepted);

        var sync = FourPeers();
        sync.Leave("node1", settle: false);
        Refused(sync, new OperatorCommand.Failover("node3", AcceptDataLoss: true), RefusalReason.SafePathExists);
    }

    [Fact]
    public void A_forced_failover_promotes_the_chosen_peer_deposes_both_lost_peers_and_records_what_it_gave_up()
    {
        var c = PrimaryAndSyncLost();
        var before = c.State;
        var t = Assert.IsType<Transition>(c.Command(new OperatorCommand.Failover("node3", AcceptDataLoss: true)));
        Assert.Equal(TransitionReason.ForcedFailover, t.Reason);
        Assert.Equal("g2 P=node3 S=node4 A=[] D=[node1,node2] W=0/200", t.Next.ToShortString());
        Assert.Contains(new PositionProbe("node3", WalFence.StopReceivingWal), c.Probes);
        // The positions given up: the old initWal and the last known positions of the lost primary and sync.
        Assert.Contains("initWal 0/150", t.Detail);
        Assert.Contains("primary node1 last reported 0/300 on timeline 1 (256 bytes past 0/200)", t.Detail);
        Assert.Contains("sync node2 last reported 0/280 on timeline 1 (128 bytes past 0/200)", t.Detail);
        HistoryInvariants.Check(before, t);
    }

    [Fact]
    public void After_a_forced_failover_the_lost_peers_come_back_deposed_and_rejoin_only_once_rewound()
    {
        var c = PrimaryAndSyncLost();
        c.Command(new OperatorCommand.Failover("node3", AcceptDataLoss: true));
        c.Join("node1").Join("node2");
        Assert.Equal(["node1", "node2"], c.State!.Deposed.Select(d => d.Id));
        Assert.Equal(PeerRole.Deposed, c.RoleOf("node2").Role);
        var tl = TimelineHistory.First.PromotedAt(Lsn.Parse("0/200"), 3);
        c.SetHistory("node3", tl).SetHistory("node1", tl).SetWal("node1", "0/200").ReadyToRejoin("node1");
        Assert.Equal(["node2"], c.State.Deposed.Select(d => d.Id));
        Assert.Contains(c.State.Async, a => a.Is("node1"));
    }

    [Fact]
    public void A_forced_failover_waits_for_the_hold_down_and_refuses_bad_targets()
    {
        var c = PrimaryAndSyncLost();
        c.ForcedFailoverHoldDown = TimeSpan.FromSeconds(5);
        Refused(c, new OperatorCommand.Failover("node3", true), RefusalReason.LostTooRecently);
        c.Clock = Now + TimeSpan.FromSeconds(6);
        Refused(c, new OperatorCommand.Failover("node9", true), RefusalReason.UnknownPeer);
        c.Tag("node3", PeerTags.NoFailover);
        Refused(c, new OperatorCommand.Failover("node3", true), RefusalReason.TaggedNoFailover);
        // node4 could be promoted, but node3 (tagged) cannot be its sync: no candidate.
        Refused(c, new OperatorCommand.Failover("node4", true), RefusalReason.NoAsyncAvailable);
        c.Tag("node3", PeerTags.None);
        c.Command(new OperatorCommand.Freeze("investigating"));
        Refused(c, new OperatorCommand.Failover("node4", true), RefusalReason.ClusterFrozen);
        c.Command(new OperatorCommand.Unfreeze());
        Assert.IsType<Transition>(c.Command(new OperatorCommand.Failover("node4", true)));
        Assert.Equal("node4", c.State!.Primary.Id);
        Assert.Equal("node3", c.State.Sync!.Id);
    }

    [Fact]
    public void A_forced_failover_prefers_a_new_sync_that_is_not_ahead_of_the_new_primary()
    {
        var c = PrimaryAndSyncLost();
        // A newcomer (the chain is not kept up while the primary is gone) that holds less than node4.
        c.Join("node5", settle: false).SetWal("node5", "0/170").Settle();
        c.Command(new OperatorCommand.Failover("node4", true));   // node4 at 0/180; node3 at 0/200 went further
        Assert.Equal("node5", c.State!.Sync!.Id);
        Assert.Equal(["node3"], c.State.Async.Select(a => a.Id));
    }

    // ---- scheduled switchover ----

    [Fact]
    public void A_scheduled_switchover_is_kept_in_the_state_and_carried_out_when_due()
    {
        var c = FourPeers();
        Refused(c, new OperatorCommand.ScheduleSwitchover(Now - TimeSpan.FromMinutes(1)), RefusalReason.InvalidRequest);
        var at = Now + TimeSpan.FromMinutes(10);
        var t = Assert.IsType<Transition>(c.Command(new OperatorCommand.ScheduleSwitchover(at)));
        Assert.Equal(TransitionReason.SwitchoverScheduled, t.Reason);
        Assert.Equal(new ScheduledSwitchover(at, null, Now), c.State!.ScheduledSwitchover);
        Assert.Equal(1, c.State.Generation);

        c.Clock = at - TimeSpan.FromSeconds(1);
        c.Settle();
        Assert.Equal("node1", c.State.Primary.Id);
        Assert.Empty(c.Probes);

        c.Clock = at;
        c.Settle();
        var done = c.History[^1];
        Assert.Equal(TransitionReason.Switchover, done.Reason);
        Assert.StartsWith("Scheduled", done.Detail);
        Assert.Equal("node2", c.State.Primary.Id);
        Assert.Null(c.State.ScheduledSwitchover);
    }

    [Fact]
    public void A_due_switchover_waits_without_fencing_while_the_target_lags_and_can_be_cancelled()
    {
        var c = FourPeers();
        c.SetWal("node1", "0/9000000");   // node2 trails by far more than 16 MiB
        c.Command(new OperatorCommand.ScheduleSwitchover(Now + TimeSpan.FromMinutes(1)));
        c.Clock = Now + TimeSpan.FromMinutes(2);
        c.Settle();
        var waits = Assert.IsType<NoChange>(c.LastRest);
        Assert.Contains("trails the primary", waits.Deferred);
        Assert.Empty(c.Probes);
        Assert.Equal("node1", c.State!.Primary.Id);

        Assert.Equal(TransitionReason.SwitchoverCancelled, Assert.IsType<Transition>(c.Command(new OperatorCommand.CancelSwitchover())).Reason);
        Assert.Null(c.State.ScheduledSwitchover);
        Refused(c, new OperatorCommand.CancelSwitchover(), RefusalReason.InvalidRequest);
    }

    [Fact]
    public void A_scheduled_switchover_to_an_async_moves_it_up_when_due()
    {
        var c = FourPeers();
        c.Command(new OperatorCommand.ScheduleSwitchover(Now + TimeSpan.FromSeconds(30), "node3"));
        c.Clock = Now + TimeSpan.FromMinutes(1);
        c.Settle();
        Assert.Equal("node3", c.State!.Sync!.Id);
        Assert.Null(c.State.ScheduledSwitchover);
    }

    // ---- nofailover ----

    [Fact]
    public void A_peer_tagged_nofailover_is_skipped_as_the_new_sync_and_refused_as_a_switchover_target()
    {
        var c = FourPeers();
        c.Tag("node3", PeerTags.NoFailover);
        Refused(c, new OperatorCommand.Switchover("node3"), RefusalReason.TaggedNoFailover);
        Refused(c, new OperatorCommand.ScheduleSwitchover(Now + TimeSpan.FromMinutes(1), "node3"), RefusalReason.TaggedNoFailover);
        c.Leave("node2");
        Assert.Equal("node4", c.State!.Sync!.Id);   // node3 would be next in the chain
        c.Tag("node4", PeerTags.NoFailover | PeerTags.NoLoadBalance);
        c.Leave("node1");
        Assert.Equal(RefusalReason.NoAsyncAvailable, Assert.IsType<Refusal>(c.LastRest).Reason);
        Assert.Equal("node1", c.State.Primary.Id);
    }

    [Fact]
    public void Initial_setup_passes_over_a_first_member_tagged_nofailover()
    {
        var c = new ScenarioCluster();
        c.Join("node1", settle: false).Tag("node1", PeerTags.NoFailover, settle: false).Join("node2", settle: false).Join("node3");
        Assert.Equal("g1 P=node2 S=node3 A=[node1] D=[] W=0/0", c.Describe());
    }

    [Fact]
    public void Tags_parse_from_the_command_line_spelling()
    {
        Assert.Equal(PeerTags.NoFailover | PeerTags.NoLoadBalance, PeerTagNames.Parse("nofailover, NoLoadBalance"));
        Assert.Equal(["nofailover"], PeerTagNames.Names(PeerTagNames.Parse("nofailover")));
        Assert.Throws<FormatException>(() => PeerTagNames.Parse("nosuchtag"));
    }
}
