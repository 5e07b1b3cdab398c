using Appliance.Nodes.Postgres;
using Appliance.Nodes.State;

namespace Appliance.Chaos.Tests;

/// <summary>What the divergence checks read, without a cluster: the node's rejoin lines, and when a fork is proven.</summary>
[Trait("Category", "Chaos")]
public sealed class DivergenceCheckSpecs
{
    [Theory]
    [InlineData("[INFO][…][akka.tcp://appliance@10.77.3.2:4053/user/node] n2 is on n3's timeline 2 for generation 2 (Rewound); ready to rejoin", RejoinMethod.Rewound)]
    [InlineData("[INFO][…] n2 is on n3's timeline 2 for generation 2 (Cloned); ready to rejoin", RejoinMethod.Cloned)]
    [InlineData("[INFO][…] n2 is on n3's timeline 2 for generation 2 (AlreadyOnHistory); ready to rejoin", RejoinMethod.AlreadyOnHistory)]
    [InlineData("[INFO][…] n2 was a primary and now follows n1: rewound onto n3's history", RejoinMethod.Rewound)]
    [InlineData("[INFO][…] n2 was a primary and now follows n1: already on n3's history", RejoinMethod.AlreadyOnHistory)]
    [InlineData("[WARNING][…] n2: upstream n1's history tl3 forked off this instance's tl2 at 0/3000100, below its position 0/3000200; rewinding; Cloned (the rewind could not be used: x)", RejoinMethod.Cloned)]
    public void The_first_rejoin_a_node_logs_is_read_with_its_method(string line, RejoinMethod method) =>
        Assert.Equal(method, RejoinLog.First(["n2: role Deposed applied for state v2", line, "n2 is on n3's timeline 2 for generation 2 (Cloned); ready to rejoin"]));

    [Fact]
    public void No_rejoin_line_is_no_rejoin() =>
        Assert.Null(RejoinLog.First(["n2: role Deposed applied for state v2", "Deposed peer n2 rewound onto the current timeline and rejoined"]));

    [Fact]
    public void A_fork_is_proven_only_by_an_old_end_past_where_the_new_history_left_the_old_timeline()
    {
        var end = new WalEnd(1, Lsn.Parse("0/3000200"), Lsn.Parse("0/3000200"));
        Divergence Healed(string switchPoint, string? notForked = null) =>
            new Divergence("n1", "n2", -1, end, Lsn.Parse("0/3000100"), notForked, "n2", 0)
            { NewPrimary = "n2", NewHistory = TimelineHistory.Parse(2, $"1\t{switchPoint}\tno recovery target specified") };

        Assert.True(Healed("0/3000100").Forked);
        Assert.False(Healed("0/3000200").Forked);   // the sync got all of it: nothing forked
        Assert.False(Healed("0/3000100", notForked: "n1 flushed no WAL past the cut").Forked);
        Assert.False((Healed("0/3000100") with { NewHistory = TimelineHistory.First }).Forked);   // nobody promoted
        Assert.Contains("no divergence", Healed("0/3000200").Why);
    }
}
