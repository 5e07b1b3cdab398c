using Appliance.Actors.Protocol;
using Appliance.Host.Api;
using Appliance.Host.Cli;
using Appliance.Host.Node;
using Appliance.Nodes.Backup;

namespace Appliance.Host.Tests.Unit;

/// <summary>The cluster's backups in <c>/status</c>, <c>verify</c> and <c>/metrics</c>, from a backup actor's report and the node's clock.</summary>
[Trait("Category", "Unit")]
public sealed class BackupStateTests : IDisposable
{
    private static readonly DateTimeOffset Now = new(2026, 12, 6, 12, 0, 0, TimeSpan.Zero);
    private readonly string _dir = Directory.CreateTempSubdirectory("appliance-backup-state-").FullName;

    private static readonly BackupEntry Full = new("20261206-100000F", "full", Now.AddHours(-2), Now.AddHours(-2).AddMinutes(10),
        "000000010000000000000003", "000000010000000000000003", "0/3000028", "0/3000138", 1000, 100, null, false);

    private static BackupProtocol.Report Report(string? schedule, BackupEntry? last, BackupFailure? failure = null) =>
        new("n1", new BackupStatus(Now.AddSeconds(-5), schedule, last, failure, null));

    [Fact]
    public void The_status_gives_the_newest_backup_and_its_age_on_the_nodes_clock()
    {
        var dto = BackupStateDto.From(Report("full=7d,diff=1d", Full), Now)!;
        Assert.Equal(("20261206-100000F", "full", 6600.0), (dto.LastLabel, dto.LastType, dto.LastAgeSeconds));
        Assert.Null(dto.Failure);
        Assert.Empty(dto.Problems);
        Assert.Null(BackupStateDto.From(null, Now));
    }

    [Fact]
    public async Task A_failure_reaches_verify_and_metrics_and_an_overdue_backup_reaches_verify()
    {
        var failure = new BackupFailure(Now.AddMinutes(-1), "diff", "pgbackrest backup failed (exit code 47): ERROR: [047]: unable to create path");
        var dto = BackupStateDto.From(Report("full=7d,diff=1h", Full, failure), Now)!;
        Assert.Equal("pgbackrest backup failed (exit code 47): ERROR: [047]: unable to create path", dto.Failure);
        var problems = Verify.Problems(Fixtures.Healthy() with { Backups = dto });
        Assert.Equal(2, problems.Count);
        Assert.StartsWith("backups: the last backup (diff, at 2026-12-06 11:59:00Z) failed: pgbackrest backup failed", problems[0]);
        Assert.Equal("backups: the newest backup 20261206-100000F ended 1 h 50 min ago, longer than the schedule (full=7d,diff=1h) allows (1 h 30 min)", problems[1]);

        var text = await Fixtures.MetricsAsync(Status(dto), null, null);
        Assert.Contains("appliance_last_backup_age_seconds{peer=\"n1\"} 6600", text);
        Assert.Contains($"appliance_last_backup_timestamp_seconds{{peer=\"n1\"}} {Full.Stop.ToUnixTimeSeconds()}", text);
        Assert.Contains("appliance_backup_failing{peer=\"n1\"} 1", text);
        Assert.Contains($"appliance_last_backup_failure_timestamp_seconds{{peer=\"n1\"}} {failure.At.ToUnixTimeSeconds()}", text);
        Assert.Contains("appliance_backup_problems{peer=\"n1\"} 2", text);
        Assert.All(text.Split('\n', StringSplitOptions.RemoveEmptyEntries), line =>
            Assert.Matches(Fixtures.ExpositionLine, line));
    }

    [Fact]
    public async Task Without_a_backup_the_age_is_absent_not_zero()
    {
        var text = await Fixtures.MetricsAsync(Status(BackupStateDto.From(Report(null, null), Now)), null, null);
        Assert.DoesNotContain("appliance_last_backup_age_seconds{", text);
        Assert.Contains("appliance_backup_failing{peer=\"n1\"} 0", text);
        // Without --backup-repo no backup metric has a sample (at most its HELP and TYPE lines).
        Assert.DoesNotMatch(@"(?m)^appliance_\w*backup\w*\{", await Fixtures.MetricsAsync(Status(null), null, null));
    }

    [Fact]
    public void The_status_line_says_what_the_newest_backup_is()
    {
        var line = Render.BackupLine(BackupStateDto.From(Report("full=7d,diff=1d", Full), Now)!);
        Assert.Equal("backups: newest full 20261206-100000F, ended 1 h 50 min ago; schedule full=7d,diff=1d (taken on n1's node)", line);
    }

    [Fact]
    public void A_schedule_option_is_read_and_a_bad_one_refused()
    {
        NodeOptions Build(Dictionary<string, string> extra) => NodeOptionsLoader.Build([NodeOptionsLoaderTests.Minimal, extra], null, _ => "generated");
        Assert.Equal(BackupSchedule.Parse("full=7d,diff=1d"), Build(new() { ["backup-repo"] = _dir, ["backup-schedule"] = "full=7d,diff=1d" }).Backup!.Schedule);
        Assert.Null(Build(new() { ["backup-repo"] = _dir }).Backup!.Schedule);
        var bad = Assert.Throws<NodeConfigurationException>(() => Build(new() { ["backup-repo"] = _dir, ["backup-schedule"] = "weekly" })).Message;
        Assert.StartsWith("--backup-schedule: 'weekly' is not full=, diff= or incr=", bad);
        Assert.Contains("--backup-schedule needs --backup-repo",
            Assert.Throws<NodeConfigurationException>(() => Build(new() { ["backup-schedule"] = "full=7d" })).Message);
    }

    private static StatusDto Status(BackupStateDto? backups) =>
        new("n1", "127.0.0.1", 5432, "primary", "primary", 3, 3, 1, true, true, false, false, 1, "0/3000000", null, null, 0, null, null, 100, 101,
            Backups: backups);

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
