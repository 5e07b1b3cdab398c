using Appliance.Nodes.Backup;

namespace Appliance.Nodes.Tests.Backup;

/// <summary><c>--backup-schedule</c>: read, written back, and refused with a sentence that says what to give.</summary>
[Trait("Category", "Unit")]
public sealed class BackupScheduleTests
{
    [Theory]
    [InlineData("full=7d,diff=1d", "full=1w,diff=1d")]
    [InlineData(" FULL=36h , incr=90m ", "full=36h,incr=90m")]
    [InlineData("full=1w,diff=2d,incr=6h", "full=1w,diff=2d,incr=6h")]
    [InlineData("full=120s", "full=2m")]
    public void A_schedule_is_read_and_written_back(string text, string written)
    {
        var schedule = BackupSchedule.Parse(text);
        Assert.Equal(written, schedule.ToString());
        Assert.Equal(schedule, BackupSchedule.Parse(schedule.ToString()));
    }

    [Fact]
    public void Its_checks_retries_and_allowed_age_follow_the_shortest_interval()
    {
        var weekly = BackupSchedule.Parse("full=7d,diff=1d");
        Assert.Equal(TimeSpan.FromDays(1), weekly.Shortest);
        Assert.Equal(TimeSpan.FromMinutes(1), weekly.CheckInterval);
        Assert.Equal(TimeSpan.FromMinutes(15), weekly.RetryAfterFailure);
        Assert.Equal(TimeSpan.FromHours(36), weekly.AllowedAge);
        var brisk = BackupSchedule.Parse("full=1h,diff=20s");
        Assert.Equal(TimeSpan.FromSeconds(5), brisk.CheckInterval);
        Assert.Equal(TimeSpan.FromSeconds(10), brisk.RetryAfterFailure);
        Assert.Equal(TimeSpan.FromSeconds(30), brisk.AllowedAge);
    }

    [Theory]
    [InlineData("diff=1d", "has no full= interval")]
    [InlineData("full=7d,weekly=1", "'weekly=1' is not full=, diff= or incr=")]
    [InlineData("full=7d,full=1d", "full is given twice")]
    [InlineData("full=7days", "full='7days' is not an interval")]
    [InlineData("full=-1d", "full='-1d' is not an interval")]
    [InlineData("full=5s", "full=5s is shorter than 10s")]
    [InlineData("full=1d,diff=1d", "diff=1d is not shorter than full=1d")]
    [InlineData("full=7d,diff=1d,incr=2d", "incr=2d is not shorter than diff=1d")]
    [InlineData("full=1d,incr=1w", "incr=1w is not shorter than full=1d")]
    [InlineData("", "has no full= interval")]
    public void A_malformed_schedule_is_refused_with_what_to_give(string text, string expected) =>
        Assert.Contains(expected, Assert.Throws<FormatException>(() => BackupSchedule.Parse(text)).Message);
}
