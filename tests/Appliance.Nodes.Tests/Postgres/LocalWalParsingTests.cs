using Appliance.Nodes.Postgres;
using Appliance.Nodes.State;

namespace Appliance.Nodes.Tests.Postgres;

[Trait("Category", "Unit")]
[Trait("Category", "Postgres")]
public sealed class LocalWalParsingTests
{
    private const long Segment = 16 * 1024 * 1024;

    [Fact]
    public void The_end_of_WAL_is_the_largest_position_pg_waldump_names_when_it_stops()
    {
        var end = LocalWal.EndOfWal(
            ["pg_waldump: error: error in WAL record at 0/3050010: invalid record length at 0/3050088: wanted 24, got 0"], Segment);
        Assert.Equal(Lsn.Parse("0/3050088"), end);
    }

    [Theory]
    // Long run 11 (finding 11): the prev-link is whatever the bytes at the end of the WAL held, here far past it.
    [InlineData("pg_waldump: error: error in WAL record at 0/4D65968: record with incorrect prev-link BEF00010/6B0279 at 0/4D65968", "0/4D65968")]
    [InlineData("pg_waldump: error: error in WAL record at 0/4D65908: unexpected pageaddr 6F/2000000 in log segment 000000480000000000000004, offset 6725632", "0/4D65908")]
    public void A_prev_link_or_page_address_read_at_the_end_is_not_a_position(string line, string expected) =>
        Assert.Equal(Lsn.Parse(expected), LocalWal.EndOfWal([line], Segment));

    [Fact]
    public void A_rewind_that_ran_crash_recovery_and_then_rewound_nothing_is_told_apart()
    {
        // pg_rewind's own lines around a killed standby below its upstream's switch (long run 11, finding 11).
        string[] crashRecoveryOnly =
        [
            "pg_rewind: executing \"/usr/lib/postgresql/15/bin/postgres\" for target server to complete crash recovery",
            "2026-12-07 18:49:05.100 UTC [5700] LOG:  database system was interrupted while in recovery at log time 2026-12-07 18:48:54 UTC",
            "pg_rewind: source and target cluster are on the same timeline",
            "pg_rewind: no rewind required",
        ];
        Assert.True(RewindOrClone.CrashRecoveryWroteWalAndNothingWasRewound(crashRecoveryOnly));
        Assert.False(RewindOrClone.CrashRecoveryWroteWalAndNothingWasRewound(
            [crashRecoveryOnly[0], "pg_rewind: servers diverged at WAL location 0/4D65B50 on timeline 72", "pg_rewind: Done!"]));
        Assert.False(RewindOrClone.CrashRecoveryWroteWalAndNothingWasRewound(["pg_rewind: no rewind required"]));
    }

    [Fact]
    public void A_stop_at_a_recycled_segment_names_the_segment_and_offset()
    {
        var end = LocalWal.EndOfWal(
            ["pg_waldump: error: invalid magic number 0000 in WAL segment 000000020000000100000004, offset 8192"], Segment);
        Assert.Equal(new Lsn(0x1_0000_0000UL + 4 * (ulong)Segment + 8192), end);
    }

    [Fact]
    public void Output_that_names_no_position_leaves_the_end_unknown() =>
        Assert.Null(LocalWal.EndOfWal(["pg_waldump: error: could not open directory: Permission denied"], Segment));

    [Fact]
    public void Control_data_gives_the_checkpoint_and_minimum_recovery_point()
    {
        var control = ControlData.Parse("""
            Database system identifier:           7712359679089601772
            Database cluster state:               shut down in recovery
            Latest checkpoint location:           0/1741868
            Latest checkpoint's TimeLineID:       3
            Minimum recovery ending location:     0/1800000
            Min recovery ending loc's timeline:   3
            Bytes per WAL segment:                16777216
            """);
        Assert.Equal(Lsn.Parse("0/1741868"), control.CheckpointLocation);
        Assert.Equal(Lsn.Parse("0/1800000"), control.MinRecoveryPoint);
        Assert.Equal(3, control.MinRecoveryTimeline);
        Assert.Equal(Segment, control.WalSegmentSize);
        Assert.True(control.LastRanAsStandby);
    }
}
