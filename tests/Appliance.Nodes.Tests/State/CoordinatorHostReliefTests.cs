using Appliance.Nodes.State;
using static Appliance.Nodes.Tests.State.ScenarioCluster;

namespace Appliance.Nodes.Tests.State;

/// <summary>
/// The planned move of the primary or sync off the coordinator's host (<see cref="CoordinatorHostRelief"/>): made
/// only when the cluster is settled, healthy and caught up, with the same fences as a switchover, and it comes to rest.
/// </summary>
[Trait("Category", "Unit")]
public class CoordinatorHostReliefTests
{
    private static CoordinatorHost On(string peer, bool settled = true) => new([peer], settled);

    /// <summary>Four peers, node1 primary, node2 sync, node3 and node4 asyncs, all at 0/100 (initWal 0/0).</summary>
    private static ScenarioCluster FourPeers(RejoinPolicy rejoin = RejoinPolicy.Auto)
    {
        var c = new ScenarioCluster(rejoin: rejoin);
        foreach (var id in new[] { "node1", "node2", "node3", "node4" }) c.Join(id, settle: false).SetWal(id, "0/100");
        return c.Settle();
    }

    [Fact]
    public void A_primary_on_the_coordinators_host_hands_over_to_its_sync_behind_the_syncs_fence()
    {
        var c = FourPeers();
        Assert.StartsWith("g1 P=node1 S=node2 A=[node3,node4] ", c.Describe());
        c.Coordinator = On("node1");
        c.Settle();

        var t = Assert.Single(c.History, h => h.Reason == TransitionReason.CoordinatorHostRelieved);
        Assert.Equal("g2 P=node2 S=node3 A=[node4] D=[node1] W=0/100", t.Next.ToShortString());
        Assert.Equal(new PositionProbe("node2", WalFence.StopReceivingWal), Assert.Single(c.Probes));
        Assert.Contains("coordinator's host", t.Detail);
        Assert.IsType<NoChange>(c.LastRest);

        // The old primary rewinds and rejoins at the tail, where the coordinator's host belongs; nothing moves again.
        c.ReadyToRejoin("node1");
        Assert.Equal("g2 P=node2 S=node3 A=[node4,node1] D=[] W=0/100", c.Describe());
        Assert.Single(c.History, h => h.Reason == TransitionReason.CoordinatorHostRelieved);
    }

    [Fact]
    public void A_new_cluster_puts_the_coordinators_host_last_so_that_nothing_has_to_move_later()
    {
        var c = new ScenarioCluster { Coordinator = On("node1") };
        foreach (var id in new[] { "node1", "node2", "node3", "node4" }) c.Join(id, settle: false).SetWal(id, "0/100");
        c.Settle();

        var setup = Assert.Single(c.History, h => h.Reason == TransitionReason.InitialSetup);
        Assert.Equal("g1 P=node2 S=node3 A=[node4,node1] D=[] W=0/0", setup.Next.ToShortString());
        Assert.DoesNotContain(c.History, h => h.Reason == TransitionReason.CoordinatorHostRelieved);
        Assert.Empty(c.Probes);
    }

    [Fact]
    public void A_new_cluster_of_two_or_with_the_relief_off_keeps_join_order()
    {
        // The rule alone: ScenarioCluster keeps join order, while a real coordinator also lists its own peer last in the
        // members it observes, so in production the pair would be P=node2 S=node1.
        var two = new ScenarioCluster { Coordinator = On("node1", settled: false) };
        foreach (var id in new[] { "node1", "node2" }) two.Join(id, settle: false).SetWal(id, "0/100");
        two.Settle();
        Assert.StartsWith("g1 P=node1 S=node2 A=[] ", Assert.Single(two.History).Next.ToShortString());

        var off = new ScenarioCluster();
        foreach (var id in new[] { "node1", "node2", "node3" }) off.Join(id, settle: false).SetWal(id, "0/100");
        off.Settle();
        Assert.StartsWith("g1 P=node1 S=node2 A=[node3] ", Assert.Single(off.History).Next.ToShortString());
    }

    [Fact]
    public void A_new_cluster_keeps_a_nofailover_peer_out_of_the_lead_and_the_coordinators_host_at_the_tail()
    {
        var c = new ScenarioCluster { Coordinator = On("node1") };
        foreach (var id in new[] { "node1", "node2", "node3", "node4" }) c.Join(id, settle: false).SetWal(id, "0/100");
        c.Tag("node2", PeerTags.NoFailover, settle: false);
        c.Settle();

        var setup = Assert.Single(c.History, h => h.Reason == TransitionReason.InitialSetup);
        Assert.Equal("g1 P=node3 S=node4 A=[node2,node1] D=[] W=0/0", setup.Next.ToShortString());
    }

    [Fact]
    public void A_sync_on_the_coordinators_host_gives_way_to_the_first_close_async_and_goes_to_the_tail()
    {
        var c = FourPeers();
        c.Coordinator = On("node2");
        c.Settle();

        var t = Assert.Single(c.History, h => h.Reason == TransitionReason.CoordinatorHostRelieved);
        Assert.Equal("g2 P=node1 S=node3 A=[node4,node2] D=[] W=0/100", t.Next.ToShortString());
        Assert.Equal(new PositionProbe("node1", new WalFence.NameSync("node3")), Assert.Single(c.Probes));
    }

    [Fact]
    public void Nothing_moves_until_the_coordinator_says_the_cluster_is_settled()
    {
        var c = FourPeers();
        c.Coordinator = On("node1", settled: false);
        c.Settle();
        Assert.DoesNotContain(c.History, h => h.Reason == TransitionReason.CoordinatorHostRelieved);
        Assert.Empty(c.Probes);
        Assert.Contains("waits: the cluster has not been quiet long enough", Assert.IsType<NoChange>(c.LastRest).Deferred);

        c.Coordinator = On("node1");
        c.Settle();
        Assert.Equal("node2", c.State!.Primary.Id);
    }

    [Fact]
    public void An_async_on_the_coordinators_host_is_already_off_the_write_path()
    {
        var c = FourPeers();
        c.Coordinator = On("node3");
        c.Settle();
        Assert.Equal(1, c.State!.Version);
        Assert.Empty(c.Probes);
        Assert.Null(Assert.IsType<NoChange>(c.LastRest).Deferred);
    }

    [Theory]
    [InlineData("sync behind initWal", "node2 reports WAL at 0/100, short of initWal 0/200")]
    [InlineData("sync far behind the primary", "node2 trails the primary by 33554176 bytes of WAL")]
    [InlineData("sync's PostgreSQL down", "node2 does not report its PostgreSQL running")]
    [InlineData("no async to become the new sync", "no async could become the new sync")]
    [InlineData("next sync far behind", "node3 trails the primary by")]
    [InlineData("frozen", null)]
    public void A_primary_on_the_coordinators_host_stays_when_a_move_would_stall_writes_or_is_not_allowed(string why, string? deferredBecause)
    {
        var c = FourPeers();
        var initWal = why == "sync behind initWal" ? "0/200" : "0/100";
        c.SetState(StateOf(2, "node1", "node2", ["node3", "node4"], initWal: initWal, version: 5), settle: false);
        c.SetWal("node1", "0/2000000");
        foreach (var id in new[] { "node2", "node3", "node4" }) c.SetWal(id, "0/1FFFF00");
        switch (why)
        {
            case "sync behind initWal": c.SetWal("node1", "0/300").SetWal("node2", "0/100"); break;
            case "sync far behind the primary": c.SetWal("node2", "0/100"); break;
            case "sync's PostgreSQL down": c.PostgresDown("node2"); break;
            case "no async to become the new sync": c.Leave("node3", settle: false).Leave("node4", settle: false); break;
            case "next sync far behind": c.SetWal("node3", "0/100"); break;
            case "frozen": c.SetState(c.State! with { Freeze = new FreezeInfo("maintenance", Now) }, settle: false); break;
        }
        c.Coordinator = On("node1");
        c.Settle();

        Assert.Equal("node1", c.State!.Primary.Id);
        Assert.DoesNotContain(c.History, h => h.Reason == TransitionReason.CoordinatorHostRelieved);
        Assert.DoesNotContain(c.Probes, p => p.Fence is WalFence.StopReceiving);
        // The coordinator logs why the move waits (a frozen cluster wants no move at all).
        var rest = Assert.IsType<NoChange>(c.LastRest);
        if (deferredBecause is null) Assert.Null(rest.Deferred);
        else Assert.StartsWith($"moving the primary off the coordinator's host (node1) waits: {deferredBecause}", rest.Deferred);
    }

    [Fact]
    public void When_the_primary_and_sync_both_run_on_the_coordinators_host_the_sync_moves_first_then_the_primary()
    {
        var c = FourPeers();
        c.Coordinator = new CoordinatorHost(["node1", "node2"], Settled: true);
        c.Settle();

        var moves = c.History.Where(h => h.Reason == TransitionReason.CoordinatorHostRelieved).Select(h => h.Next.ToShortString()).ToList();
        Assert.Equal(["g2 P=node1 S=node3 A=[node4,node2] D=[] W=0/100", "g3 P=node3 S=node4 A=[node2] D=[node1] W=0/100"], moves);
    }
}
