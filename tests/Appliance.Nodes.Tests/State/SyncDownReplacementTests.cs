using Appliance.Nodes.State;
using static Appliance.Nodes.Tests.State.ScenarioCluster;

namespace Appliance.Nodes.Tests.State;

/// <summary>
/// A sync that stays a member but runs no PostgreSQL stalls every commit, as a lost one does
/// (<see cref="SyncReplacement.WhenSyncDown"/>): once it has been down for the configured time, the first running
/// async becomes the sync behind the primary's fence, and the old sync goes to the tail.
/// </summary>
[Trait("Category", "Unit")]
public class SyncDownReplacementTests
{
    /// <summary>node1 primary, node2 sync, node3 and node4 asyncs, all at 0/100.</summary>
    private static ScenarioCluster FourPeers()
    {
        var c = new ScenarioCluster();
        foreach (var id in new[] { "node1", "node2", "node3", "node4" }) c.Join(id, settle: false).SetWal(id, "0/100");
        c.Settle();
        Assert.StartsWith("g1 P=node1 S=node2 A=[node3,node4] ", c.Describe());
        return c;
    }

    [Fact]
    public void A_sync_down_for_the_configured_time_gives_way_to_the_first_running_async_behind_the_primarys_fence()
    {
        var c = FourPeers();
        c.PostgresDown("node2", TimeSpan.FromSeconds(31)).Settle();

        var t = Assert.Single(c.History, h => h.Reason == TransitionReason.SyncReplaced);
        Assert.Equal("g2 P=node1 S=node3 A=[node4,node2] D=[] W=0/100", t.Next.ToShortString());
        Assert.Equal(new PositionProbe("node1", new WalFence.NameSync("node3")), Assert.Single(c.Probes));
        Assert.Contains("node2 has reported its PostgreSQL down for 31 s", t.Detail);
        Assert.IsType<NoChange>(c.LastRest);
    }

    [Fact]
    public void A_running_async_further_down_the_chain_is_taken_when_async0_is_down_too()
    {
        var c = FourPeers();
        c.PostgresDown("node3", TimeSpan.FromMinutes(5)).PostgresDown("node2", TimeSpan.FromSeconds(40)).Settle();
        Assert.Equal("g2 P=node1 S=node4 A=[node3,node2] D=[] W=0/100", c.Describe());
    }

    [Theory]
    [InlineData("down for less than the configured time")]
    [InlineData("no async runs PostgreSQL")]
    [InlineData("the primary's PostgreSQL is down too")]
    [InlineData("frozen")]
    [InlineData("turned off")]
    public void The_sync_stays_when(string why)
    {
        var c = FourPeers();
        var down = TimeSpan.FromSeconds(31);
        switch (why)
        {
            case "down for less than the configured time": down = TimeSpan.FromSeconds(29); break;
            case "no async runs PostgreSQL": c.PostgresDown("node3", down).PostgresDown("node4", down); break;
            case "the primary's PostgreSQL is down too": c.PostgresDown("node1", down); break;
            case "frozen": c.SetState(c.State! with { Freeze = new FreezeInfo("maintenance", Now) }, settle: false); break;
            case "turned off": c.ReplaceDownSyncAfter = null; break;
        }
        c.PostgresDown("node2", down).Settle();

        Assert.Equal("node2", c.State!.Sync!.Id);
        Assert.DoesNotContain(c.History, h => h.Reason == TransitionReason.SyncReplaced);
        Assert.DoesNotContain(c.Probes, p => p.Fence is WalFence.NameSync);
    }

    [Fact]
    public void While_the_sync_cannot_be_replaced_the_chain_is_still_kept_up()
    {
        var c = FourPeers();
        c.PostgresDown("node3", TimeSpan.FromMinutes(1)).PostgresDown("node4", TimeSpan.FromMinutes(1))
            .PostgresDown("node2", TimeSpan.FromMinutes(1)).Settle();
        c.Leave("node4");
        Assert.StartsWith("g1 P=node1 S=node2 A=[node3] D=[] ", c.Describe());
    }
}
