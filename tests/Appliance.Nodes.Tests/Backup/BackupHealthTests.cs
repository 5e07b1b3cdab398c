using Appliance.Nodes.Backup;

namespace Appliance.Nodes.Tests.Backup;

/// <summary>What <c>verify</c> says of the backups, with the node's clock given.</summary>
[Trait("Category", "Unit")]
public sealed class BackupHealthTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 1, 2, 0, 0, TimeSpan.Zero);

    private static readonly BackupEntry Full =
        new("20261201-020000F", "full", T0, T0.AddMinutes(30), null, null, null, null, 1, 1, null, false);

    private static BackupStatus Status(string? schedule, BackupEntry? last, BackupFailure? failure = null, double? running = null) =>
        new(T0, schedule, last, failure, running);

    [Fact]
    public void A_recent_backup_within_the_schedule_is_no_problem() =>
        Assert.Empty(BackupHealth.Problems(Status("full=7d,diff=1d", Full), T0.AddHours(36)));

    [Fact]
    public void A_backup_older_than_the_schedule_allows_is_overdue()
    {
        var problem = Assert.Single(BackupHealth.Problems(Status("full=7d,diff=1d", Full), T0.AddHours(36).AddMinutes(31)));
        Assert.Equal("the newest backup 20261201-020000F ended 1 d 12 h ago, longer than the schedule (full=7d,diff=1d) allows (1 d 12 h)", problem);
    }

    [Fact]
    public void Without_a_schedule_age_is_the_operators_business() =>
        Assert.Empty(BackupHealth.Problems(Status(null, Full), T0.AddDays(300)));

    [Fact]
    public void A_failure_after_the_newest_backup_is_reported_with_its_message()
    {
        var failure = new BackupFailure(T0.AddDays(1), "diff", "pgbackrest backup failed (exit code 47): ERROR: [047]: unable to create path");
        var problem = Assert.Single(BackupHealth.Problems(Status("full=7d,diff=1d", Full, failure), T0.AddDays(1)));
        Assert.StartsWith("the last backup (diff, at 2026-12-02 02:00:00Z) failed: pgbackrest backup failed (exit code 47): ERROR: [047]", problem);
        Assert.EndsWith("or wait for the schedule to try again", problem);
        Assert.Empty(BackupHealth.Problems(Status("full=7d,diff=1d", Full with { Stop = T0.AddDays(2) }, failure), T0.AddDays(2)));
    }

    [Fact]
    public void An_empty_repository_is_a_problem_unless_the_first_backup_runs()
    {
        Assert.Contains("run 'appliance backup --type full'", Assert.Single(BackupHealth.Problems(Status(null, null), T0)));
        Assert.Contains("the schedule takes a full backup", Assert.Single(BackupHealth.Problems(Status("full=1d", null), T0)));
        Assert.Empty(BackupHealth.Problems(Status("full=1d", null, running: 12.5), T0));
    }
}
