using Npgsql;

namespace Appliance.Backup.Tests;

/// <summary>
/// Issue 17 §5: a second cluster started with <c>--standby-from-repo</c> follows the first one's pgBackRest archive,
/// never connecting to it: its leader restores the newest backup and replays each segment as the source archives it,
/// through the source's own failover (whose promotion skips timeline numbers), and promote-cluster makes it writable.
/// Real nodes, PostgreSQL and pgBackRest; two clusters with their own state stores and ports, one local repository.
/// </summary>
[Trait("Category", "Cluster")]
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class StandbyFromRepoProcessTests
{
    [Fact]
    public async Task A_standby_cluster_follows_its_sources_archive_through_a_failover_and_is_promoted()
    {
        var source = new BackupClusterFixture();
        StandbyClusterFixture? standby = null;
        try
        {
            await source.InitializeAsync();
            var sourcePrimary = (await source.PrimaryAsync())!;
            await source.WaitArchivingAsync(sourcePrimary);
            await BackupClusterFixture.ScalarAsync(sourcePrimary.PgPort, "CREATE TABLE archived (id int PRIMARY KEY)");
            await BackupClusterFixture.ScalarAsync(sourcePrimary.PgPort, "INSERT INTO archived SELECT generate_series(1, 100)");

            // Before any backup the standby cluster has nothing to start from: its leader says so and waits.
            standby = new StandbyClusterFixture(["--standby-from-repo", source.Repository]);
            standby.StartNodes();
            await Eventually.TrueAsync(() => Task.FromResult(standby.Nodes.Any(n => n.Process!.Stdout.Contains("holds no usable backup", StringComparison.Ordinal))),
                () => "the standby leader says the archive holds no backup yet" + standby.Logs(lines: 80), TimeSpan.FromSeconds(120));

            var backup = await NodeClusterFixture.CliAsync("backup", "--type", "full", "--from", "primary", "--endpoint", sourcePrimary.Url);
            Assert.True(backup.Code == 0, $"backup exited {backup.Code}: {backup.Out}{backup.Err}");
            await BackupClusterFixture.ScalarAsync(sourcePrimary.PgPort, "INSERT INTO archived SELECT generate_series(101, 200)");
            await BackupClusterFixture.ScalarAsync(sourcePrimary.PgPort, "SELECT pg_switch_wal()::text");

            // The leader restores the backup, and every node gets the rows written after it, from the archive alone.
            await Eventually.TrueAsync(async () => (await standby.PassingAsync("/standby-leader")).Count == 1,
                () => "a node of the standby cluster leads it" + standby.Logs(lines: 200), TimeSpan.FromSeconds(180));
            await standby.WaitHealthyAsync();
            await standby.WaitRowsEverywhereAsync("archived", 200);
            var leader = Assert.Single(await standby.PassingAsync("/standby-leader"));
            Assert.Empty(await standby.PassingAsync("/primary"));
            var status = await standby.StatusAsync(leader);
            Assert.Equal($"appliance@{Path.GetFullPath(source.Repository)}", status.StandbyOf);
            Assert.False(status.ReadWrite);
            var refused = await Assert.ThrowsAsync<PostgresException>(() => NodeClusterFixture.WriteAsync(leader));
            Assert.Equal(PostgresErrorCodes.ReadOnlySqlTransaction, refused.SqlState);
            Assert.Equal(0L, (long)(await BackupClusterFixture.ScalarAsync(leader.PgPort, "SELECT count(*) FROM pg_stat_wal_receiver"))!);
            Assert.Equal(0L, (long)(await BackupClusterFixture.ScalarAsync(sourcePrimary.PgPort,
                "SELECT count(*) FROM pg_stat_replication WHERE application_name LIKE 'appliance-standby:%'"))!);
            var (code, output, err) = await NodeClusterFixture.CliAsync("status", "--endpoint", leader.Url);
            Assert.True(code == 0, $"status exited {code}: {output}{err}");
            Assert.Contains($"standby cluster of appliance@{Path.GetFullPath(source.Repository)}", output);

            // The source's sync is replaced first: a generation with no promotion, so the failover below starts a
            // timeline past the next number and skips one, whose history file the promoted node archives so that the
            // leader's search for the latest timeline (which stops at the first missing number) finds the new one.
            await source.ReplaceSyncAsync(sourcePrimary);
            sourcePrimary = (await source.PrimaryAsync())!;   // the same one, unless the coordinator's host moved it
            var oldTimeline = (await source.StatusAsync(sourcePrimary)).Timeline!.Value;

            // The source fails over.
            using (var host = System.Diagnostics.Process.GetProcessById(sourcePrimary.Process!.Id)) host.Kill(entireProcessTree: true);
            await sourcePrimary.Process.WaitAsync(TimeSpan.FromSeconds(30));
            TestNode? newPrimary = null;
            await Eventually.TrueAsync(async () => (newPrimary = await source.PrimaryAsync()) is not null && newPrimary != sourcePrimary,
                () => "another source node takes writes after the source primary died" + source.Logs(), TimeSpan.FromSeconds(120));
            var promotedSource = newPrimary!;
            var sourceTimeline = (await source.StatusAsync(promotedSource)).Timeline!.Value;
            Assert.True(sourceTimeline > oldTimeline + 1, $"the failover from timeline {oldTimeline} started {sourceTimeline}, skipping no number: nothing to test");
            await Eventually.TrueAsync(() => Task.FromResult(promotedSource.Process!.Stdout.Contains("skipped timeline number(s) that the archive lacked", StringComparison.Ordinal)),
                () => $"{promotedSource.Name} archives the skipped timeline numbers' history files" + source.Logs(40), TimeSpan.FromSeconds(60));
            await BackupClusterFixture.ScalarAsync(promotedSource.PgPort, "INSERT INTO archived SELECT generate_series(201, 250)");
            await BackupClusterFixture.ScalarAsync(promotedSource.PgPort, "SELECT pg_switch_wal()::text");
            await standby.WaitRowsEverywhereAsync("archived", 250);
            // Rows 201-250 exist only on the new timeline: the leader followed it.

            // The source site is lost; promote-cluster makes the standby cluster writable, past the source's timeline.
            foreach (var n in source.Live().ToList())
            {
                using (var host = System.Diagnostics.Process.GetProcessById(n.Process!.Id)) host.Kill(entireProcessTree: true);
                await n.Process.WaitAsync(TimeSpan.FromSeconds(30));
            }
            var promoted = await NodeClusterFixture.CliAsync("promote-cluster", "--endpoint", leader.Url);
            Assert.True(promoted.Code == 0, $"promote-cluster exited {promoted.Code}: {promoted.Out}{promoted.Err}" + standby.Logs());
            Assert.Contains("accepted (ClusterPromoted)", promoted.Out);
            await Eventually.TrueAsync(async () => await standby.PrimaryAsync() == leader,
                () => "the promoted leader takes writes" + standby.Logs(lines: 60), TimeSpan.FromSeconds(120));
            Assert.Equal(1L, await NodeClusterFixture.WriteAsync(leader));
            Assert.Equal(250L, (long)(await BackupClusterFixture.ScalarAsync(leader.PgPort, "SELECT count(*) FROM archived"))!);
            status = await standby.StatusAsync(leader);
            Assert.Null(status.StandbyOf);
            Assert.True(status.ReadWrite);
            Assert.True(status.Timeline > sourceTimeline, $"the promoted cluster's timeline {status.Timeline} is past the source's {sourceTimeline}");
            // A promoted leader reads the archive no more: its restore_command is gone with its role.
            Assert.Equal("", (string)(await BackupClusterFixture.ScalarAsync(leader.PgPort, "SHOW restore_command"))!);
        }
        finally
        {
            if (standby is not null) await standby.DisposeAsync();
            await source.DisposeAsync();
        }
    }
}
