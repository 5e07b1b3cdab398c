using Appliance.Nodes.State;
using static Appliance.Nodes.Tests.State.ScenarioCluster;

namespace Appliance.Nodes.Tests.State;

/// <summary>
/// The rules compare positions with their timeline histories: a takeover needs the sync on the generation's history,
/// and no peer moves up the chain or rejoins while its report shows it forked off the primary's history.
/// </summary>
[Trait("Category", "Unit")]
public class TimelineRuleTests
{
    private static readonly TimelineHistory Tl1 = TimelineHistory.First;
    private static readonly TimelineHistory Tl2 = Tl1.PromotedAt(Lsn.Parse("0/100"), 2);

    /// <summary>g2 on timeline 2: node2 primary, node3 sync, node4 async, node1 deposed; initWal 0/100 on timeline 1.</summary>
    private static ScenarioCluster AfterOneTakeover()
    {
        var c = new ScenarioCluster();
        foreach (var id in new[] { "node2", "node3", "node4" }) c.Join(id, settle: false).SetWal(id, "0/200").SetHistory(id, Tl2);
        c.SetState(StateOf(2, "node2", "node3", ["node4"], ["node1"], initWal: "0/100", version: 5) with { InitHistory = Tl1 });
        Assert.Equal("g2 P=node2 S=node3 A=[node4] D=[node1] W=0/100", c.Describe());
        return c;
    }

    [Fact]
    public void A_sync_with_as_much_WAL_as_initWal_on_a_forked_history_does_not_take_over()
    {
        var c = AfterOneTakeover();
        c.SetState(c.State! with { Version = 6, InitWal = Lsn.Parse("0/200"), InitHistory = Tl2 }, settle: false);
        // node3 kept streaming from the deposed node1 on timeline 1, past the point where timeline 2 began.
        c.SetWal("node3", "0/300").SetHistory("node3", Tl1).Leave("node2");

        var refusal = Assert.IsType<Refusal>(c.LastRest);
        Assert.Equal(RefusalReason.OffHistory, refusal.Reason);
        Assert.Contains("tl1", refusal.Detail);
        Assert.Equal("node2", c.State!.Primary.Id);
    }

    [Fact]
    public void A_sync_on_the_generations_history_takes_over_and_the_new_initWal_records_its_history()
    {
        var c = AfterOneTakeover();
        c.Leave("node2");
        var t = Assert.Single(c.History, h => h.Reason == TransitionReason.SyncTakeover);
        Assert.Equal("node3", t.Next.Primary.Id);
        Assert.Equal(Tl2, t.Next.InitHistory);
        Assert.Equal(Lsn.Parse("0/200"), t.Next.InitWal);
    }

    [Fact]
    public void A_promotion_in_a_cluster_restored_onto_timeline_5_jumps_the_generation_past_it_and_later_ones_go_up_by_one()
    {
        // Generation 1 of a cluster bootstrapped from a backup runs on the restore's timeline. The promotion's timeline is
        // its generation's number (PromotionTimeline), so the generation must pass the candidate's timeline first.
        var restored = Tl1.PromotedAt(Lsn.Zero, 5);
        var c = new ScenarioCluster();
        foreach (var id in new[] { "node1", "node2", "node3", "node4" }) c.Join(id, settle: false).SetWal(id, "0/200").SetHistory(id, restored);
        c.SetState(StateOf(1, "node1", "node2", ["node3", "node4"], [], initWal: "0/0", version: 3) with { InitHistory = Tl1 });
        c.Leave("node1");
        var first = Assert.Single(c.History, h => h.Reason == TransitionReason.SyncTakeover);
        Assert.Equal(6, first.Next.Generation);
        Assert.Equal(6, PromotionTimeline.For(restored.Timeline, first.Next.Generation));

        // node2 now runs timeline 6; its sync node3 and async node4 follow it, and the next takeover is an ordinary one.
        var six = restored.PromotedAt(Lsn.Parse("0/200"), 6);
        foreach (var id in new[] { "node2", "node3", "node4" }) c.SetHistory(id, six);
        c.Leave("node2");
        var second = c.History.Last(h => h.Reason == TransitionReason.SyncTakeover);
        Assert.Equal(7, second.Next.Generation);
        Assert.Equal(7, PromotionTimeline.For(six.Timeline, second.Next.Generation));
    }

    [Fact]
    public void A_legacy_state_without_a_history_still_takes_over_by_LSN()
    {
        var c = AfterOneTakeover();
        c.SetState(c.State! with { Version = 6, InitHistory = null }, settle: false).Leave("node2");
        Assert.Equal("node3", c.State!.Primary.Id);
        Assert.Equal(Tl2, c.State.InitHistory);
    }

    [Fact]
    public void A_forked_async_is_no_candidate_for_the_new_sync()
    {
        var c = AfterOneTakeover();
        c.Join("node5", settle: false).SetWal("node5", "0/180").SetHistory("node5", Tl2).Settle();
        c.SetWal("node4", "0/300").SetHistory("node4", Tl1);    // streamed from node1 past the fork
        c.Leave("node3");
        var t = Assert.Single(c.History, h => h.Reason == TransitionReason.SyncReplaced);
        Assert.Equal("node5", t.Next.Sync!.Id);
    }

    [Fact]
    public void A_switchover_does_not_move_a_forked_async_up()
    {
        var c = AfterOneTakeover();
        c.SetWal("node4", "0/300").SetHistory("node4", Tl1);
        var refusal = Assert.IsType<Refusal>(c.Command(new OperatorCommand.Switchover("node4")));
        Assert.Equal(RefusalReason.OffHistory, refusal.Reason);
        Assert.Contains("must rewind first", refusal.Detail);
    }

    [Fact]
    public void With_the_sync_gone_a_rewound_deposed_peer_rejoins_and_becomes_the_new_sync()
    {
        var c = new ScenarioCluster(rejoin: RejoinPolicy.Auto);
        foreach (var id in new[] { "node1", "node2", "node3" }) c.Join(id);
        c.Leave("node1");
        Assert.Equal("g2 P=node2 S=node3 A=[] D=[node1] W=0/0", c.Describe());
        c.Join("node1").Leave("node3");
        Assert.Equal(RefusalReason.NoAsyncAvailable, Assert.IsType<Refusal>(c.LastRest).Reason);

        c.ReadyToRejoin("node1");
        Assert.Equal("g3 P=node2 S=node1 A=[] D=[] W=0/0", c.Describe());
        Assert.Equal([TransitionReason.Rejoined, TransitionReason.SyncReplaced], c.History.TakeLast(2).Select(h => h.Reason));
    }

    [Fact]
    public void A_deposed_peer_rejoins_only_when_rewound_onto_this_primary_in_this_generation_and_on_its_history()
    {
        var c = AfterOneTakeover();
        c.Rejoin = RejoinPolicy.Auto;
        // Ready, but its report still shows the WAL it wrote on timeline 1 past the fork: not rewound after all.
        c.Join("node1", settle: false).SetWal("node1", "0/300").SetHistory("node1", Tl1).ReadyToRejoin("node1");
        Assert.True(c.State!.IsDeposed("node1"));

        c.SetWal("node1", "0/180").SetHistory("node1", Tl2).Settle();
        Assert.Equal("g2 P=node2 S=node3 A=[node4,node1] D=[] W=0/100", c.Describe());
        Assert.Equal(TransitionReason.Rejoined, c.History[^1].Reason);
    }
}
