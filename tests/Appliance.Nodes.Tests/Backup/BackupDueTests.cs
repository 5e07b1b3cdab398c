using Appliance.Nodes.Backup;

namespace Appliance.Nodes.Tests.Backup;

/// <summary>The schedule's rule, with the clock given: which backup is due, given the repository and the last failure.</summary>
[Trait("Category", "Unit")]
public sealed class BackupDueTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 1, 2, 0, 0, TimeSpan.Zero);
    private static readonly BackupSchedule Weekly = BackupSchedule.Parse("full=7d,diff=1d");

    private static BackupEntry Backup(string type, DateTimeOffset start, string? label = null) =>
        new(label ?? $"{start:yyyyMMdd-HHmmss}{type[0]}", type, start, start + TimeSpan.FromMinutes(30), null, null, null, null, 1, 1, null, false);

    [Fact]
    public void An_empty_repository_needs_a_full_backup_at_once()
    {
        var d = BackupDue.Decide(Weekly, [], running: false, null, T0);
        Assert.Equal(BackupType.Full, d.Type);
        Assert.Equal("the repository holds no full backup", d.Reason);
    }

    [Fact]
    public void A_diff_repository_without_a_full_one_still_needs_a_full_one() =>
        Assert.Equal(BackupType.Full, BackupDue.Decide(Weekly, [Backup("diff", T0)], false, null, T0.AddHours(1)).Type);

    [Fact]
    public void Nothing_is_due_inside_the_intervals_and_the_next_is_the_earliest_due()
    {
        var d = BackupDue.Decide(Weekly, [Backup("full", T0)], false, null, T0.AddHours(23));
        Assert.Null(d.Type);
        Assert.Equal(T0.AddDays(1), d.Next);
    }

    [Fact]
    public void A_diff_falls_due_an_interval_after_the_newest_full_or_diff_started()
    {
        var backups = new[] { Backup("full", T0), Backup("diff", T0.AddDays(1)) };
        Assert.Null(BackupDue.Decide(Weekly, backups, false, null, T0.AddDays(2).AddSeconds(-1)).Type);
        var d = BackupDue.Decide(Weekly, backups, false, null, T0.AddDays(2));
        Assert.Equal(BackupType.Diff, d.Type);
        Assert.Contains($"the newest full or diff backup {backups[1].Label} started at 2026-12-02 02:00:00Z, 1d ago or more", d.Reason);
    }

    [Fact]
    public void A_full_backup_due_with_a_diff_wins()
    {
        var backups = new[] { Backup("full", T0), Backup("diff", T0.AddDays(6)) };
        Assert.Equal(BackupType.Full, BackupDue.Decide(Weekly, backups, false, null, T0.AddDays(7)).Type);
    }

    [Fact]
    public void A_backup_taken_by_hand_moves_the_schedule()
    {
        var byHand = new[] { Backup("full", T0), Backup("full", T0.AddDays(6)) };
        Assert.Null(BackupDue.Decide(BackupSchedule.Parse("full=7d"), byHand, false, null, T0.AddDays(7)).Type);
    }

    [Fact]
    public void Incrementals_fill_the_gaps_after_a_backup_of_any_kind()
    {
        var schedule = BackupSchedule.Parse("full=7d,diff=1d,incr=1h");
        var backups = new[] { Backup("full", T0), Backup("incr", T0.AddHours(1)) };
        Assert.Null(BackupDue.Decide(schedule, backups, false, null, T0.AddHours(1.5)).Type);
        Assert.Equal(BackupType.Incr, BackupDue.Decide(schedule, backups, false, null, T0.AddHours(2)).Type);
    }

    [Fact]
    public void Never_a_second_backup_while_one_runs()
    {
        var d = BackupDue.Decide(Weekly, [], running: true, null, T0);
        Assert.Null(d.Type);
        Assert.Null(d.Next);
    }

    [Fact]
    public void After_a_failure_the_schedule_waits_before_trying_again()
    {
        var failed = new BackupFailure(T0.AddDays(1).AddMinutes(1), "diff", "repository full");
        var backups = new[] { Backup("full", T0) };
        var waiting = BackupDue.Decide(Weekly, backups, false, failed, T0.AddDays(1).AddMinutes(5));
        Assert.Null(waiting.Type);
        Assert.Equal(failed.At + TimeSpan.FromMinutes(15), waiting.Next);
        Assert.Equal(BackupType.Diff, BackupDue.Decide(Weekly, backups, false, failed, failed.At + TimeSpan.FromMinutes(15)).Type);
    }

    [Fact]
    public void A_failure_older_than_the_newest_backup_is_forgotten()
    {
        var failed = new BackupFailure(T0.AddMinutes(-5), "full", "unmounted");
        Assert.Equal(BackupType.Diff, BackupDue.Decide(Weekly, [Backup("full", T0)], false, failed, T0.AddDays(1)).Type);
    }
}
