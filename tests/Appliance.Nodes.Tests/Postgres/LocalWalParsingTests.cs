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
