using Appliance.Nodes.Backup;
using Appliance.Host.Api;

namespace Appliance.Backup.Tests;

/// <summary>
/// Issue 17: the cluster takes its backups by itself on <c>--backup-schedule</c>, and their state, failures included,
/// reaches every node's <c>/status</c>, <c>verify</c> and <c>/metrics</c>. Real nodes, PostgreSQL and pgBackRest.
/// </summary>
[Trait("Category", "Cluster")]
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class BackupScheduleProcessTests
{
    // With TLS, so that the schedule backs up from a standby (BackupSource) and must report that node's outcome.
    private sealed class ScheduledCluster() : BackupClusterFixture(tls: true)
    {
        protected override IEnumerable<string> BackupArgs => [.. base.BackupArgs, "--backup-schedule", "full=1h,diff=10s"];
    }

    [Fact]
    public async Task The_schedule_takes_a_full_then_diffs_by_itself_and_every_node_reports_them_and_a_failure_until_a_retry_succeeds()
    {
        var cluster = new ScheduledCluster();
        try
        {
            await cluster.InitializeAsync();
            var primary = (await cluster.PrimaryAsync())!;
            var standby = await cluster.NodeInRoleAsync("async");

            // Nobody asks for a backup: the primary's node has a full one taken (the repository has none), then diffs on
            // it, each from the last async, whose files pgBackRest reads (the manifest says so), while the primary only
            // starts and stops them.
            IReadOnlyList<BackupEntry> backups = [];
            await Eventually.TrueAsync(async () =>
            {
                backups = BackupCatalog.Parse(await cluster.PgBackRestOf(primary).InfoJsonAsync(CancellationToken.None)).Backups;
                return backups.Any(b => b.Type == "diff");
            }, () => $"the schedule takes a full backup and a diff (repository: {string.Join(", ", backups.Select(b => b.Label))})" + cluster.Logs(),
                TimeSpan.FromSeconds(120));
            var full = Assert.Single(backups, b => b.Type == "full");
            Assert.All(backups.Where(b => b.Type == "diff"), d => Assert.Equal(full.Label, d.Prior));
            foreach (var b in backups)
                Assert.Contains("option-backup-standby=true",
                    await File.ReadAllTextAsync(Path.Combine(cluster.Repository, "backup", "appliance", b.Label, "backup.manifest")));
            Assert.Contains($"the scheduled full backup runs on {standby.Name}", primary.Process!.Stdout);

            // A standby's /status and /cluster carry what the primary's node reported; verify and /metrics see it healthy.
            BackupStateDto? seen = null;
            await Eventually.TrueAsync(async () => (seen = (await cluster.StatusAsync(standby)).Backups) is { LastLabel: not null, Problems.Count: 0 } b && b.ReportedBy == primary.Name,
                () => $"{standby.Name}'s /status shows the newest backup: {System.Text.Json.JsonSerializer.Serialize(seen)}",
                TimeSpan.FromSeconds(60));
            var verified = "";
            await Eventually.TrueAsync(async () => await NodeClusterFixture.CliAsync("verify", "--endpoint", standby.Url, "--ca", cluster.CaFile) is var v && (verified = v.Out) is not null && v.Code == 0,
                () => "verify passes: " + verified, TimeSpan.FromSeconds(60));
            var metrics = await cluster.Http.GetStringAsync(standby.Url + "/metrics");
            Assert.Matches($"appliance_last_backup_age_seconds{{peer=\"{standby.Name}\"}} [0-9.]+\n", metrics);
            Assert.Contains($"appliance_backup_failing{{peer=\"{standby.Name}\"}} 0\n", metrics);

            // The repository refuses the next backups: the failure, with pgBackRest's error, reaches every node.
            var repo = Path.Combine(cluster.Repository, "backup", "appliance");
            var mode = File.GetUnixFileMode(repo);
            File.SetUnixFileMode(repo, (UnixFileMode)0b101_101_101);
            try
            {
                await Eventually.TrueAsync(async () => (await cluster.StatusAsync(standby)).Backups?.Failure is not null,
                    () => "a scheduled backup fails and the standby's /status says so" + cluster.Logs(), TimeSpan.FromSeconds(60));
                var failed = (await cluster.StatusAsync(standby)).Backups!;
                Assert.Contains("pgbackrest backup failed (exit code ", failed.Failure);
                Assert.Equal("diff", failed.FailedType);
                var verify = await NodeClusterFixture.CliAsync("verify", "--endpoint", standby.Url, "--ca", cluster.CaFile);
                Assert.True(verify.Code == 1, $"verify exited {verify.Code}: {verify.Out}{verify.Err}");
                Assert.Contains("problem: backups: the last backup (diff, at ", verify.Out);
                Assert.Contains($"appliance_backup_failing{{peer=\"{standby.Name}\"}} 1\n", await cluster.Http.GetStringAsync(standby.Url + "/metrics"));
                var status = await NodeClusterFixture.CliAsync("status", "--endpoint", primary.Url, "--ca", cluster.CaFile);
                Assert.Contains("warning: backups: the last backup (diff", status.Out);
            }
            finally
            {
                File.SetUnixFileMode(repo, mode);
            }

            // The schedule tries again by itself, and the failure is gone once a backup succeeds.
            await Eventually.TrueAsync(async () => (await cluster.StatusAsync(primary)).Backups is { Failure: null, Problems.Count: 0 },
                () => "a retry succeeds and clears the failure" + cluster.Logs(), TimeSpan.FromSeconds(90));
        }
        finally
        {
            await cluster.DisposeAsync();
        }
    }
}
