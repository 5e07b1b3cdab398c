using Appliance.Nodes.State;

namespace Appliance.Nodes.Tests.State;

/// <summary>Timeline histories: parsing PostgreSQL's history files, and where two histories part.</summary>
[Trait("Category", "Unit")]
public class TimelineHistoryTests
{
    private static readonly Lsn At3 = Lsn.Parse("0/3000000");
    private static readonly Lsn At5 = Lsn.Parse("0/5000000");

    [Fact]
    public void A_history_file_parses_with_its_comments_and_reasons()
    {
        var h = TimelineHistory.Parse(3, "1\t0/3000000\tno recovery target specified\n\n# comment\n2\t0/5000000\tno recovery target specified\n");
        Assert.Equal(new TimelineHistory(3, [new(1, At3), new(2, At5)]), h);
        Assert.Equal("tl3 (1@0/3000000, 2@0/5000000)", h.ToString());
        Assert.Equal(TimelineHistory.First, TimelineHistory.Parse(1, null));
    }

    [Fact]
    public void A_standby_promoted_below_its_targets_last_switch_point_writes_a_lower_switch_point_that_cuts_the_older_timeline_short()
    {
        // Timeline 3 forked off 1 at 0/5000000; a standby of it still replaying timeline 1 at 0/3000000 is promoted.
        var target = TimelineHistory.First.PromotedAt(At5, 3);
        var promoted = target.PromotedAt(At3, 4);
        Assert.Equal("tl4 (1@0/5000000, 3@0/3000000)", promoted.ToString());
        Assert.Equal(At3, promoted.ForkPoint(TimelineHistory.First));
        Assert.Equal(At3, promoted.ForkPoint(target));
        Assert.True(promoted.Holds(TimelineHistory.First, At3));
        Assert.False(promoted.Holds(target, Lsn.Parse("0/4000000")));
        // The same WAL described with the empty timeline 3 left out is the same WAL.
        Assert.Equal(TimelineHistory.Unbounded, promoted.ForkPoint(new TimelineHistory(4, [new(1, At3)])));
    }

    [Theory]
    [InlineData("1 0/3000000 x\n1 0/5000000 x")]   // a timeline twice
    [InlineData("2 0/3000000 x")]                   // names the timeline itself
    [InlineData("1 not-an-lsn x")]
    [InlineData("one 0/3000000 x")]
    public void A_malformed_history_file_is_refused_with_the_line_or_the_order(string text)
    {
        var e = Assert.ThrowsAny<Exception>(() => TimelineHistory.Parse(2, text));
        Assert.True(e is FormatException or ArgumentException, e.ToString());
    }

    [Fact]
    public void A_standby_that_replayed_past_the_switch_point_on_the_old_timeline_is_not_held_by_the_new_history()
    {
        // The chaos finding: "new timeline 2 forked off current database system timeline 1 before current recovery point".
        var primary = TimelineHistory.First.PromotedAt(At3, 2);
        Assert.Equal(At3, primary.ForkPoint(TimelineHistory.First));
        Assert.False(primary.Holds(TimelineHistory.First, Lsn.Parse("0/304C078")));
        Assert.True(primary.Holds(TimelineHistory.First, At3));
        Assert.True(primary.Holds(primary, Lsn.Parse("FF/0")));
    }

    [Fact]
    public void Histories_with_the_same_timeline_number_but_different_switch_points_part_at_the_earlier_one()
    {
        var a = TimelineHistory.First.PromotedAt(At3, 2);
        var b = TimelineHistory.First.PromotedAt(At5, 2);
        Assert.Equal(At3, a.ForkPoint(b));
        Assert.Equal(At3, b.ForkPoint(a));
        Assert.False(a.Holds(b, Lsn.Parse("0/4000000")));
    }

    [Fact]
    public void Two_promotions_from_one_timeline_to_different_ones_part_where_both_left_it()
    {
        var a = TimelineHistory.First.PromotedAt(At3, 2);
        var b = TimelineHistory.First.PromotedAt(At3, 3);
        Assert.Equal(At3, a.ForkPoint(b));
        var c = a.PromotedAt(At5, 4);
        Assert.Equal(At5, c.ForkPoint(a));
        Assert.True(c.Holds(a, At5));
        Assert.True(c.Holds(TimelineHistory.First, At3));
    }

    [Theory]
    [InlineData(1, 2, 2)]
    [InlineData(1, 7, 7)]
    [InlineData(6, 7, 7)]
    [InlineData(7, 7, 8)]   // never behind the instance's own timeline
    public void A_promotion_starts_the_generations_timeline(int current, long generation, int expected) =>
        Assert.Equal(expected, PromotionTimeline.For(current, generation));
}
