using Appliance.Nodes.State;

namespace Appliance.Nodes.Tests.State;

/// <summary>
/// Issue 17 §5: a standby cluster's first state records its source and its primary is the standby leader; nothing in it
/// is promoted but by promote-cluster, and a lost leader or sync is replaced without a promotion.
/// </summary>
[Trait("Category", "Unit")]
public class StandbyClusterRuleTests
{
    private static readonly StandbySource Source = StandbySource.Parse("10.1.0.1:5432,10.1.0.2:5432");

    private static ScenarioCluster StandbyCluster()
    {
        var c = new ScenarioCluster(rejoin: RejoinPolicy.Auto) { StandbyOf = Source };
        foreach (var id in new[] { "node1", "node2", "node3" }) c.Join(id, settle: false).SetWal(id, "0/100");
        c.Settle();
        return c;
    }

    [Fact]
    public void Initial_setup_records_the_source_and_says_so()
    {
        var c = StandbyCluster();
        Assert.Equal("g1 P=node1 S=node2 A=[node3] D=[] W=0/0 standby-of=10.1.0.1:5432,10.1.0.2:5432", c.Describe());
        Assert.True(c.State!.IsStandbyCluster);
        var setup = Assert.Single(c.History);
        Assert.Contains("Standby cluster set up, following 10.1.0.1:5432,10.1.0.2:5432: standby leader node1", setup.Detail);
    }

    [Fact]
    public void Nothing_is_set_up_while_a_node_of_a_second_site_lacks_its_standby_of_and_the_refusal_names_it()
    {
        var c = new ScenarioCluster(rejoin: RejoinPolicy.Auto) { StandbyOf = Source };
        c.ConfigureStandbyOf("node3", null, settle: false);
        foreach (var id in new[] { "node1", "node2", "node3" }) c.Join(id, settle: false);
        c.Settle();
        Assert.Null(c.State);
        var refusal = Assert.IsType<Refusal>(c.LastRest);
        Assert.Equal(RefusalReason.ModeMismatch, refusal.Reason);
        Assert.Contains("the coordinator's node has --standby-of 10.1.0.1:5432,10.1.0.2:5432, but node3 has none", refusal.Detail);

        // Fixed and restarted: the three agree, and the standby cluster is set up.
        c.ConfigureStandbyOf("node3", Source);
        Assert.Equal("g1 P=node1 S=node2 A=[node3] D=[] W=0/0 standby-of=10.1.0.1:5432,10.1.0.2:5432", c.Describe());
    }

    [Fact]
    public void A_node_with_a_standby_of_keeps_a_coordinator_without_one_from_setting_up_a_writable_cluster()
    {
        var c = new ScenarioCluster(rejoin: RejoinPolicy.Auto);
        c.ConfigureStandbyOf("node2", Source, settle: false);
        c.ConfigureStandbyOf("node3", StandbySource.Parse("10.1.0.9:5432"), settle: false);
        foreach (var id in new[] { "node1", "node2", "node3" }) c.Join(id, settle: false);
        c.Settle();
        Assert.Null(c.State);
        var refusal = Assert.IsType<Refusal>(c.LastRest);
        Assert.Equal(RefusalReason.ModeMismatch, refusal.Reason);
        Assert.Contains("node2 has --standby-of 10.1.0.1:5432,10.1.0.2:5432, node3 has --standby-of 10.1.0.9:5432", refusal.Detail);
    }

    [Fact]
    public void The_same_hosts_in_another_order_or_case_agree()
    {
        var c = new ScenarioCluster(rejoin: RejoinPolicy.Auto) { StandbyOf = Source };
        c.ConfigureStandbyOf("node2", StandbySource.Parse("10.1.0.2:5432,10.1.0.1:5432"), settle: false);
        c.ConfigureStandbyOf("node3", StandbySource.Parse("10.1.0.1:5432,10.1.0.2:5432"), settle: false);
        foreach (var id in new[] { "node1", "node2", "node3" }) c.Join(id, settle: false);
        c.Settle();
        Assert.Equal(Source, c.State!.StandbyOf);
        Assert.True(StandbySource.Same(StandbySource.Parse("DB1.example:5432"), StandbySource.Parse("db1.example:5432")));
        Assert.False(StandbySource.Same(StandbySource.Parse("db1:5432"), StandbySource.Parse("db1:5433")));
        Assert.False(StandbySource.Same(Source, null));
        Assert.True(StandbySource.Same(null, null));
    }

    [Fact]
    public void A_later_configuration_does_not_change_a_running_clusters_source()
    {
        var c = StandbyCluster();
        c.StandbyOf = null;
        c.Join("node4");
        Assert.Equal(Source, c.State!.StandbyOf);
        Assert.Equal(["node3", "node4"], c.State.Async.Select(a => a.Id));
    }

    [Fact]
    public void A_lost_standby_leader_is_replaced_by_its_sync_without_a_promotion_or_a_fence()
    {
        var c = StandbyCluster();
        c.Leave("node1");
        Assert.Equal("g2 P=node2 S=node3 A=[] D=[] W=0/0 standby-of=10.1.0.1:5432,10.1.0.2:5432", c.Describe());
        var t = c.History[^1];
        Assert.Equal(TransitionReason.StandbyLeaderReplaced, t.Reason);
        Assert.Contains("Standby leader node1 is gone: node2 leads the standby cluster and follows 10.1.0.1:5432,10.1.0.2:5432 itself", t.Detail);
        Assert.Empty(c.Probes);   // nothing is promoted, so no sync's receiving is stopped
        Assert.Equal(c.History[0].Next.InitHistory, c.State!.InitHistory);   // initWal and its history are kept

        // The old leader was never promoted: it comes back as a newcomer at the tail, not as a deposed peer.
        c.Join("node1");
        Assert.Equal("g2 P=node2 S=node3 A=[node1] D=[] W=0/0 standby-of=10.1.0.1:5432,10.1.0.2:5432", c.Describe());
        Assert.Equal(TransitionReason.AsyncsUpdated, c.History[^1].Reason);
    }

    [Fact]
    public void Without_a_running_sync_the_first_running_async_leads_and_the_old_sync_goes_to_the_tail()
    {
        var c = StandbyCluster();
        c.Join("node4").Join("node5");
        c.PostgresDown("node2");
        c.Leave("node1");
        Assert.Equal("g2 P=node3 S=node4 A=[node5,node2] D=[] W=0/0 standby-of=10.1.0.1:5432,10.1.0.2:5432", c.Describe());
        Assert.Equal(TransitionReason.StandbyLeaderReplaced, c.History[^1].Reason);
    }

    [Fact]
    public void A_running_sync_tagged_nofailover_does_not_lead_and_heads_the_chain()
    {
        var c = StandbyCluster();
        c.Join("node4").Join("node5");
        c.Tag("node2", PeerTags.NoFailover);
        c.Leave("node1");
        Assert.Equal("g2 P=node3 S=node4 A=[node2,node5] D=[] W=0/0 standby-of=10.1.0.1:5432,10.1.0.2:5432", c.Describe());
    }

    [Fact]
    public void A_lost_standby_leader_is_not_replaced_while_frozen_or_when_no_peer_runs()
    {
        var c = StandbyCluster();
        c.Command(new OperatorCommand.Freeze("DR drill"));
        c.Leave("node1");
        Assert.Equal(RefusalReason.ClusterFrozen, Assert.IsType<Refusal>(c.LastRest).Reason);
        Assert.Equal("node1", c.State!.Primary.Id);

        c.PostgresDown("node2").PostgresDown("node3");
        c.Command(new OperatorCommand.Unfreeze());
        var refusal = Assert.IsType<Refusal>(c.LastRest);
        Assert.Equal(RefusalReason.NoAsyncAvailable, refusal.Reason);
        Assert.Contains("no peer whose PostgreSQL runs may lead", refusal.Detail);
        Assert.Equal("node1", c.State!.Primary.Id);

        c.PostgresUp("node3");
        Assert.Equal("g2 P=node3 S=node2 A=[] D=[] W=0/0 standby-of=10.1.0.1:5432,10.1.0.2:5432", c.Describe());
    }

    [Fact]
    public void A_lost_sync_is_replaced_by_the_first_async_without_a_fence_and_the_chain_is_kept()
    {
        var c = StandbyCluster();
        c.Join("node4");
        c.Leave("node2");
        Assert.Equal("g2 P=node1 S=node3 A=[node4] D=[] W=0/0 standby-of=10.1.0.1:5432,10.1.0.2:5432", c.Describe());
        Assert.Equal(TransitionReason.SyncReplaced, c.History[^1].Reason);
        Assert.Contains("no fence is needed", c.History[^1].Detail);
        c.Leave("node4");
        Assert.Empty(c.State!.Async);
        Assert.Empty(c.Probes);
    }

    [Fact]
    public void Commands_that_would_promote_a_peer_are_refused_others_apply()
    {
        var c = StandbyCluster();
        foreach (var command in new OperatorCommand[]
                 {
                     new OperatorCommand.Switchover(null), new OperatorCommand.Switchover("node3"),
                     new OperatorCommand.ScheduleSwitchover(ScenarioCluster.Now.AddHours(1), null),
                     new OperatorCommand.Failover("node3", AcceptDataLoss: true),
                 })
        {
            var before = c.State;
            var refusal = Assert.IsType<Refusal>(c.Command(command));
            Assert.Equal(RefusalReason.StandbyCluster, refusal.Reason);
            Assert.Contains("standby cluster following 10.1.0.1:5432,10.1.0.2:5432", refusal.Detail);
            Assert.Same(before, c.State);
        }
        Assert.IsType<Transition>(c.Command(new OperatorCommand.Freeze("backup of the source")));
        Assert.Equal(Source, c.State!.StandbyOf);
    }

    [Fact]
    public void A_standby_cluster_in_singleton_mode_is_refused_and_invalid()
    {
        var c = new ScenarioCluster(ClusterMode.Singleton) { StandbyOf = Source };
        c.Join("node1");
        Assert.Null(c.State);
        Assert.Equal(RefusalReason.ModeMismatch, Assert.IsType<Refusal>(c.LastRest).Reason);
        var state = ScenarioCluster.StateOf(1, "node1", null, singleton: true) with { StandbyOf = Source };
        Assert.Contains("a standby cluster does not run in singleton mode", state.Validate());
    }
    /// <summary>The source ran two failovers: its timeline 3 began at 0/300, after timeline 2 at 0/200.</summary>
    private static readonly TimelineHistory SourceTl3 = TimelineHistory.First.PromotedAt(Lsn.Parse("0/200"), 2).PromotedAt(Lsn.Parse("0/300"), 3);

    private static ScenarioCluster FollowingSourceOnTimeline3()
    {
        var c = StandbyCluster();
        foreach (var id in new[] { "node1", "node2", "node3" }) c.SetHistory(id, SourceTl3);
        c.SetWal("node1", "0/500").SetWal("node2", "0/480").SetWal("node3", "0/400").Settle();
        return c;
    }

    [Fact]
    public void Promote_cluster_fences_the_leader_and_starts_a_generation_past_the_sources_timeline()
    {
        var c = FollowingSourceOnTimeline3();
        var t = Assert.IsType<Transition>(c.Command(new OperatorCommand.PromoteCluster { ExpectedGeneration = 1 }));

        Assert.Equal(TransitionReason.ClusterPromoted, t.Reason);
        Assert.Equal(new PositionProbe("node1", WalFence.StopReceivingWal), Assert.Single(c.Probes));
        // The leader's promotion starts timeline 4; the generation is numbered as it, and the chain stays as it was.
        Assert.Equal("g4 P=node1 S=node2 A=[node3] D=[] W=0/500", c.Describe());
        Assert.False(c.State!.IsStandbyCluster);
        Assert.Equal(SourceTl3, c.State.InitHistory);
        Assert.Equal(4, PromotionTimeline.For(SourceTl3.Timeline, c.State.Generation));
        Assert.Contains("Standby cluster promoted: node1 stopped following 10.1.0.1:5432,10.1.0.2:5432 at 0/500 on timeline 3", t.Detail);
        Assert.Contains("generation 4 (timeline 4)", t.Detail);
        // The fence stays up on a leader that was promoted, and is lifted when the state is still a standby cluster's.
        Assert.False(WalFence.StopReceivingWal.IsUnusedBy("node1", c.State));
        Assert.True(WalFence.StopReceivingWal.IsUnusedBy("node1", c.History[0].Next));
    }

    [Fact]
    public void Promote_cluster_numbers_its_timeline_past_a_members_later_source_timeline_too()
    {
        // node3 led the standby cluster before and followed the source onto its timeline 5; node1 leads now, on 3.
        var c = FollowingSourceOnTimeline3();
        c.SetHistory("node3", SourceTl3.PromotedAt(Lsn.Parse("0/450"), 4).PromotedAt(Lsn.Parse("0/460"), 5)).Settle();
        var before = c.State;
        var t = Assert.IsType<Transition>(c.Command(new OperatorCommand.PromoteCluster()));
        HistoryInvariants.Check(before, t);
        Assert.Equal(TransitionReason.ClusterPromoted, t.Reason);
        // Timeline 4 and 5 are the source's on node3: the promotion starts 6, numbered as its generation.
        Assert.Equal(6, c.State!.Generation);
        Assert.Equal(6, PromotionTimeline.For(SourceTl3.Timeline, c.State.Generation));
        Assert.Contains("generation 6 (timeline 6)", t.Detail);
    }

    [Fact]
    public void Promote_cluster_numbers_its_timeline_past_what_a_departed_peer_last_reported()
    {
        // node3 followed the source onto its timeline 4 and left; the coordinator keeps its last report.
        var c = FollowingSourceOnTimeline3();
        c.SetHistory("node3", SourceTl3.PromotedAt(Lsn.Parse("0/450"), 4)).Settle();
        c.Leave("node3");
        var before = c.State;
        var t = Assert.IsType<Transition>(c.Command(new OperatorCommand.PromoteCluster()));
        HistoryInvariants.Check(before, t);
        Assert.Equal(5, c.State!.Generation);
        Assert.Contains("generation 5 (timeline 5)", t.Detail);
    }

    [Fact]
    public void After_promote_cluster_the_normal_rules_apply()
    {
        var c = FollowingSourceOnTimeline3();
        c.Command(new OperatorCommand.PromoteCluster());
        var promoted = SourceTl3.PromotedAt(Lsn.Parse("0/500"), 4);
        foreach (var id in new[] { "node1", "node2", "node3" }) c.SetHistory(id, promoted);
        c.SetWal("node2", "0/600").SetWal("node1", "0/600");

        var switchover = Assert.IsType<Transition>(c.Command(new OperatorCommand.Switchover()));
        Assert.Equal(TransitionReason.Switchover, switchover.Reason);
        Assert.Equal(5, c.State!.Generation);
        Assert.Equal("node2", c.State.Primary.Id);
        Assert.Equal(promoted, c.State.InitHistory);
    }

    [Fact]
    public void Promote_cluster_is_refused_in_a_normal_cluster()
    {
        var c = new ScenarioCluster();
        foreach (var id in new[] { "node1", "node2", "node3" }) c.Join(id, settle: false).SetWal(id, "0/100");
        c.Settle();
        var before = c.State;
        var refusal = Assert.IsType<Refusal>(c.Command(new OperatorCommand.PromoteCluster()));
        Assert.Equal(RefusalReason.NotStandbyCluster, refusal.Reason);
        Assert.Contains("not a standby cluster", refusal.Detail);
        Assert.Same(before, c.State);
        Assert.Empty(c.Probes);
    }

    [Fact]
    public void Promote_cluster_is_refused_while_frozen_or_without_a_reporting_leader()
    {
        var c = FollowingSourceOnTimeline3();
        c.Command(new OperatorCommand.Freeze("DR drill"));
        Assert.Equal(RefusalReason.ClusterFrozen, Assert.IsType<Refusal>(c.Command(new OperatorCommand.PromoteCluster())).Reason);
        c.Command(new OperatorCommand.Unfreeze());

        c.Unreported("node1");
        Assert.Equal(RefusalReason.AwaitingReports, Assert.IsType<Refusal>(c.Command(new OperatorCommand.PromoteCluster())).Reason);
        c.Reported("node1");

        c.PostgresDown("node1");
        Assert.Equal(RefusalReason.DatabaseOffline, Assert.IsType<Refusal>(c.Command(new OperatorCommand.PromoteCluster())).Reason);
        c.PostgresUp("node1");

        // With no other peer running, nobody replaces the lost leader, and only it may be promoted.
        c.PostgresDown("node2").PostgresDown("node3");
        c.Leave("node1");
        var refusal = Assert.IsType<Refusal>(c.Command(new OperatorCommand.PromoteCluster()));
        Assert.Equal(RefusalReason.DatabaseOffline, refusal.Reason);
        Assert.Contains("only it may be promoted", refusal.Detail);

        Assert.Empty(c.Probes);
        Assert.True(c.State!.IsStandbyCluster);
        Assert.Equal(1, c.State.Generation);
    }

    [Fact]
    public void Promote_cluster_for_another_generation_is_refused()
    {
        var c = FollowingSourceOnTimeline3();
        Assert.Equal(RefusalReason.StaleGeneration,
            Assert.IsType<Refusal>(c.Command(new OperatorCommand.PromoteCluster { ExpectedGeneration = 7 })).Reason);
        Assert.True(c.State!.IsStandbyCluster);
    }
}
