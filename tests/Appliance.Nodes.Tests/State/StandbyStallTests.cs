using Appliance.Nodes.Postgres;
using Appliance.Nodes.State;

namespace Appliance.Nodes.Tests.State;

/// <summary>
/// <see cref="StandbyStall"/>: a standby is cloned afresh only when its upstream's history holds its WAL, and either its
/// upstream can never feed it (it no longer holds the segment the standby's position is in) and it has stalled for the
/// patience, or its upstream holds its WAL up to its position and it has stalled for twice the patience (finding 11).
/// </summary>
[Trait("Category", "Unit")]
public class StandbyStallTests
{
    private const ulong Segment = 16 * 1024 * 1024;
    private static readonly PeerId Upstream = new("n3", "10.0.0.3", 5432);
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan Long = TimeSpan.FromMinutes(2);
    private static readonly TimelineHistory Timeline50 = new(50, [new TimelineSwitch(49, Lsn.Parse("0/2000000"))]);

    private static StandbyProgress Stalled(string position, TimelineHistory? history = null) =>
        new(Streaming: false, Lsn.Parse(position), history ?? Timeline50);

    private static UpstreamWal Holding(ulong oldestSegment, TimelineHistory? history = null) => new(oldestSegment, Segment, history ?? Timeline50);

    [Fact]
    public void A_streaming_standby_is_left_alone_whatever_its_upstream_holds() =>
        Assert.IsType<StallVerdict.Streaming>(StandbyStall.Decide(Upstream,
            new StallReading(new StandbyProgress(true, Lsn.Parse("0/3EACD88"), Timeline50), Holding(9)), Long, Patience));

    [Fact]
    public void The_chaos_runs_async_whose_upstream_was_cloned_afresh_is_cloned_afresh_after_the_patience()
    {
        // Finding 10: n1 needed timeline 50 from 0/3EACD88 (segment 3); n3's pg_wal began at segment 4.
        var reading = new StallReading(Stalled("0/3EACD88"), Holding(4));
        var waiting = Assert.IsType<StallVerdict.Wait>(StandbyStall.Decide(Upstream, reading, TimeSpan.FromSeconds(10), Patience));
        Assert.Contains("upstream n3 no longer holds the WAL this standby needs from 0/3EACD88: its WAL begins at 0/4000000", waiting.Why);
        Assert.Contains("once it has not streamed for 30 s", waiting.Why);
        var clone = Assert.IsType<StallVerdict.CloneAfresh>(StandbyStall.Decide(Upstream, reading, Patience, Patience));
        Assert.Contains("not streamed for 30 s", clone.Why);
    }

    [Fact]
    public void The_chaos_runs_sync_that_stopped_asking_its_upstream_for_wal_is_cloned_afresh_after_twice_the_patience()
    {
        // Finding 11: n3 stood at 0/4D659E0 on timeline 72, below n1's switch to 73 at 0/4D65B50; n1 held all of it and
        // more, and n3's startup process asked for nothing for minutes.
        var mine = new TimelineHistory(72, [new TimelineSwitch(70, Lsn.Parse("0/4CE5FC0"))]);
        var theirs = new TimelineHistory(73, [new TimelineSwitch(70, Lsn.Parse("0/4CE5FC0")), new TimelineSwitch(72, Lsn.Parse("0/4D65B50"))]);
        var reading = new StallReading(Stalled("0/4D659E0", mine), new UpstreamWal(4, Segment, theirs, Lsn.Parse("0/4D67000")));

        var waiting = Assert.IsType<StallVerdict.Wait>(StandbyStall.Decide(Upstream, reading, Patience, Patience));
        Assert.Contains("not streaming from upstream n3, which still holds the WAL from 0/4D659E0", waiting.Why);
        Assert.Contains("cloning afresh from it once it has not streamed for 60 s", waiting.Why);
        var clone = Assert.IsType<StallVerdict.CloneAfresh>(StandbyStall.Decide(Upstream, reading, Patience * StandbyStall.HoldingPatienceFactor, Patience));
        Assert.Contains("up to 0/4D67000, and it has not streamed for 60 s", clone.Why);
    }

    [Fact]
    public void A_standby_whose_upstream_holds_its_wal_is_never_cloned_when_either_history_is_unknown()
    {
        var ownUnknown = new StallReading(new StandbyProgress(false, Lsn.Parse("0/3EACD88"), null), new UpstreamWal(3, Segment, Timeline50, Lsn.Parse("0/4000000")));
        var theirsUnknown = new StallReading(Stalled("0/3EACD88"), new UpstreamWal(3, Segment, null, Lsn.Parse("0/4000000")));
        foreach (var reading in new[] { ownUnknown, theirsUnknown })
            Assert.Contains("not cloned afresh, because its history or this standby's could not be read",
                Assert.IsType<StallVerdict.Wait>(StandbyStall.Decide(Upstream, reading, Long * 10, Patience)).Why);
    }

    [Theory]
    [InlineData("0/4D659E0", "0/4D659DF")]   // the upstream is behind the standby: a copy would drop what only the standby holds
    [InlineData("0/4D659E0", null)]          // its end was not read
    public void A_standby_whose_upstream_holds_its_segment_but_not_its_position_is_never_cloned(string position, string? end)
    {
        var reading = new StallReading(Stalled(position), new UpstreamWal(4, Segment, Timeline50, end is null ? null : Lsn.Parse(end)));
        var verdict = StandbyStall.Decide(Upstream, reading, Long * 10, Patience);
        Assert.Contains("not cloned afresh, as its WAL does not reach this standby's position", Assert.IsType<StallVerdict.Wait>(verdict).Why);
    }

    [Theory]
    [InlineData("0/3EACD88", 3ul)]   // the upstream holds the segment: streaming can resume (the upstream may be starting)
    [InlineData("0/3FFFFFF", 3ul)]   // the last byte of segment 3
    [InlineData("0/3EACD88", 1ul)]
    [InlineData("0/4000000", 4ul)]   // a position at a segment's first byte needs that segment, which it holds
    public void A_standby_whose_upstream_still_holds_its_segment_waits_and_is_never_cloned_without_its_end(string position, ulong oldest)
    {
        var verdict = StandbyStall.Decide(Upstream, new StallReading(Stalled(position), Holding(oldest)), Long, Patience);
        Assert.Contains("which still holds the WAL from", Assert.IsType<StallVerdict.Wait>(verdict).Why);
    }

    [Fact]
    public void An_upstream_that_cannot_be_read_is_waited_for_not_cloned_from()
    {
        var verdict = StandbyStall.Decide(Upstream, new StallReading(Stalled("0/3EACD88"), null), Long, Patience);
        Assert.Contains("cannot be read", Assert.IsType<StallVerdict.Wait>(verdict).Why);
    }

    [Fact]
    public void A_standby_off_its_upstreams_history_is_rewound_not_cloned_afresh()
    {
        // The standby went on on timeline 50 past 0/3000000, where the upstream's timeline 51 forked off: the standby
        // holds WAL the upstream's history does not. It is rewound once it has stalled for the patience, whether or
        // not the upstream still holds its segment (it usually does: the case of a peer ahead of a newly promoted leader).
        var upstreamHistory = Timeline50.PromotedAt(Lsn.Parse("0/3000000"), 51);
        foreach (var oldest in new ulong[] { 3, 4 })
        {
            var forked = StandbyStall.Decide(Upstream, new StallReading(Stalled("0/3EACD88"), Holding(oldest, upstreamHistory)), Long, Patience);
            Assert.Contains("past where the upstream's history", Assert.IsType<StallVerdict.Rewind>(forked).Why);
            var early = StandbyStall.Decide(Upstream, new StallReading(Stalled("0/3EACD88"), Holding(oldest, upstreamHistory)), Patience / 2, Patience);
            Assert.Contains("rewinding onto it once it has not streamed for", Assert.IsType<StallVerdict.Wait>(early).Why);
        }

        // Never onto an upstream on an earlier timeline than the standby's (a stale upstream: the standby is on the later
        // history and may hold acknowledged commits), whether its parent or a sibling; onto a later sibling, yes (a
        // promotion from the common parent, made at or past every acknowledged commit).
        var standbyOn51 = new StandbyProgress(false, Lsn.Parse("0/3EACD88"), upstreamHistory);
        var older = StandbyStall.Decide(Upstream, new StallReading(standbyOn51, Holding(3, Timeline50)), Long, Patience);
        Assert.Contains("is not later than this standby's", Assert.IsType<StallVerdict.Wait>(older).Why);
        var standbyOn52 = new StandbyProgress(false, Lsn.Parse("0/3EACD88"), Timeline50.PromotedAt(Lsn.Parse("0/3000000"), 52));
        var earlierSibling = StandbyStall.Decide(Upstream, new StallReading(standbyOn52, Holding(3, Timeline50.PromotedAt(Lsn.Parse("0/2000000"), 51))), Long, Patience);
        Assert.Contains("is not later than this standby's", Assert.IsType<StallVerdict.Wait>(earlierSibling).Why);
        var laterSibling = StandbyStall.Decide(Upstream, new StallReading(standbyOn51, Holding(3, Timeline50.PromotedAt(Lsn.Parse("0/2000000"), 52))), Long, Patience);
        Assert.IsType<StallVerdict.Rewind>(laterSibling);

        var unknown = StandbyStall.Decide(Upstream, new StallReading(new StandbyProgress(false, Lsn.Parse("0/3EACD88"), null), Holding(4)), Long, Patience);
        Assert.IsType<StallVerdict.Wait>(unknown);

        // Forked above the standby's position: the upstream's history holds all of it.
        var later = Timeline50.PromotedAt(Lsn.Parse("0/5000000"), 51);
        Assert.IsType<StallVerdict.CloneAfresh>(
            StandbyStall.Decide(Upstream, new StallReading(Stalled("0/3EACD88"), Holding(4, later)), Long, Patience));
    }

    [Theory]
    [InlineData("000000320000000000000003", 16ul * 1024 * 1024, 3ul)]
    [InlineData("00000001000000010000000A", 16ul * 1024 * 1024, 256ul + 10)]   // 4 GiB per high word: 256 segments of 16 MiB
    [InlineData("000000010000000200000001", 1024ul * 1024 * 1024, 9ul)]       // 4 segments of 1 GiB per high word
    public void A_WAL_file_name_gives_its_segment_number(string name, ulong segmentSize, ulong expected) =>
        Assert.Equal(expected, InstanceProbe.SegmentNumber(name, segmentSize));
}
