using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Appliance.Host.Api;
using Appliance.Host.Api.Json;
using Appliance.Nodes.Backup;
using Appliance.Nodes.Postgres;
using Npgsql;

namespace Appliance.Backup.Tests;

/// <summary>Three real nodes archiving into one local pgBackRest repository (<see cref="Repository"/>).</summary>
/// <remarks>With <c>tls</c>, every node also runs its pgBackRest server, on a port of its own (<see cref="ServerPorts"/>).</remarks>
public class BackupClusterFixture : NodeClusterFixture
{
    /// <summary>A cluster, with TLS or not, with its repository in its own directory, or in <paramref name="repository"/> (another cluster's).</summary>
    public BackupClusterFixture(bool tls = false, string? repository = null) : base(tls) => Repository = repository ?? Path.Combine(Dir, "repo");

    public string Repository { get; }

    /// <summary>Each node's <c>--backup-server-port</c> (all on one machine, so each its own).</summary>
    public Dictionary<string, int> ServerPorts { get; } = [];

    public override async Task InitializeAsync()
    {
        Directory.CreateDirectory(Repository);
        PrepareNodes();
        foreach (var n in Nodes)
        {
            ServerPorts[n.Name] = TestCluster.FreePort();
            n.Process = StartBackupNode(n);
        }
        await WaitFormedAsync();
    }

    /// <summary>Starts node <paramref name="n"/> (again) with the backup flags, and TLS if the cluster has it.</summary>
    public AppProcess StartBackupNode(TestNode n) =>
        StartNode(n, Tls ? TlsFilesOf(n) : null, [.. BackupArgs, "--backup-server-port", $"{ServerPorts[n.Name]}"]);

    /// <summary>
    /// Kills the sync's host process and waits until <paramref name="primary"/> names another sync in a generation of its
    /// own (no promotion, so the next failover skips a timeline number), then starts the node again and waits until the
    /// cluster is healthy and settled.
    /// </summary>
    public async Task ReplaceSyncAsync(TestNode primary)
    {
        var replaced = await NodeInRoleAsync("sync");
        var generation = (await ClusterAsync(primary)).State!.Generation;
        replaced.Process!.Signal(9);
        await replaced.Process.WaitAsync(TimeSpan.FromSeconds(30));
        await replaced.Process.DisposeAsync();
        await Eventually.TrueAsync(async () => (await ClusterAsync(primary)).State is { } st && st.Generation > generation && st.Sync?.Id != replaced.Name,
            () => $"the primary names a new sync in place of {replaced.Name}" + Logs(), TimeSpan.FromSeconds(120));
        replaced.Process = StartBackupNode(replaced);
        await WaitHealthyAsync();
        await WaitSettledAsync();
    }

    /// <summary>The backup flags every node starts with.</summary>
    protected virtual IEnumerable<string> BackupArgs => ["--backup-repo", Repository];

    /// <summary>pgBackRest as node <paramref name="n"/> runs it, with the config file the node wrote.</summary>
    public PgBackRest PgBackRestOf(TestNode n) =>
        new(new BackupSettings(Repository, "appliance", Path.Combine(n.DataDir, "pgbackrest"), []), "127.0.0.1", ClusterCredentials.FromSecret(Password));

    /// <summary>Waits until <c>pgbackrest check</c> passes on <paramref name="primary"/>: the stanza exists and WAL reaches the archive.</summary>
    public Task WaitArchivingAsync(TestNode primary)
    {
        var last = "not run yet";
        return Eventually.TrueAsync(async () =>
        {
            try
            {
                await PgBackRestOf(primary).CheckAsync(CancellationToken.None);
                return true;
            }
            catch (PgBackRestException e)
            {
                last = e.Message;
                return false;
            }
        }, () => $"pgbackrest check passes on {primary.Name} (last: {last})" + Logs(), TimeSpan.FromSeconds(90));
    }

    /// <summary>
    /// Node <paramref name="n"/> loses its disk: it is stopped, its directory removed, and started again, so it makes a new
    /// replica; waits until the cluster is healthy and settled with it (the coordinator may move the primary off its host
    /// meanwhile, so callers ask for the roles again). Returns its PostgreSQL log (where the driver says how it cloned).
    /// </summary>
    public async Task<string> RebuildAsync(TestNode n)
    {
        n.Process!.Signal(ProcessSignal.Term);
        await n.Process.WaitAsync(TimeSpan.FromSeconds(60));
        await n.Process.DisposeAsync();
        ScratchDirectory.Delete(n.DataDir);
        n.Process = StartBackupNode(n);
        await WaitHealthyAsync();
        await WaitSettledAsync();
        return await File.ReadAllTextAsync(Path.Combine(n.DataDir, "postgresql.log"));
    }

    public static NpgsqlConnection Connect(int port) => new(new NpgsqlConnectionStringBuilder
    {
        Host = "127.0.0.1", Port = port, Username = "postgres", Password = Password, Database = "postgres", Timeout = 5, Pooling = false,
    }.ConnectionString);

    public static async Task<object?> ScalarAsync(int port, string sql)
    {
        await using var c = Connect(port);
        await c.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, c);
        return await cmd.ExecuteScalarAsync();
    }

    /// <summary>Runs a PostgreSQL tool as the postgres OS user (the tests run as root) and returns its exit code and output.</summary>
    public static async Task<int> AsPostgresAsync(string tool, params string[] args)
    {
        var binary = Path.Combine("/usr/lib/postgresql/15/bin", tool);
        var psi = new ProcessStartInfo(Environment.UserName == "root" ? "/usr/bin/setpriv" : binary)
            { UseShellExecute = false, WorkingDirectory = "/" };
        if (Environment.UserName == "root")
            foreach (var a in new[] { "--reuid=postgres", "--regid=postgres", "--init-groups", "--", binary }) psi.ArgumentList.Add(a);
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        await p.WaitForExitAsync();
        return p.ExitCode;
    }
}

/// <summary>
/// Issue 17, first slice: WAL archiving follows the primary, backups run on the primary's node wherever they are asked,
/// a restore recovers to a point in time, and a replica is restored from the repository once it holds a backup
/// (before, copied with pg_basebackup). Real nodes, real PostgreSQL 15, real pgBackRest, a local repository.
/// </summary>
[Trait("Category", "Cluster")]
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class BackupProcessTests
{
    [Fact]
    public async Task A_backup_asked_of_a_standby_runs_on_the_primary_is_listed_and_a_restore_stops_at_the_time_or_position_asked()
    {
        var cluster = new BackupClusterFixture();
        try
        {
            await cluster.InitializeAsync();
            var primary = (await cluster.PrimaryAsync())!;
            await cluster.WaitArchivingAsync(primary);
            var standby = await cluster.NodeInRoleAsync("async");

            // The standbys were cloned while the repository held no backup: with pg_basebackup, and their logs say why.
            var formed = string.Concat(await Task.WhenAll(cluster.Nodes.Select(n => File.ReadAllTextAsync(Path.Combine(n.DataDir, "postgresql.log")))));
            Assert.Contains("with pg_basebackup: the backup repository holds no backup yet", formed);
            Assert.DoesNotContain("made from the backup repository", formed);
            var before = await NodeClusterFixture.WriteAsync(primary);

            // A repository that refuses the backup: the error reaches the operator, and nothing is listed.
            var backups = Path.Combine(cluster.Repository, "backup", "appliance");
            var mode = File.GetUnixFileMode(backups);
            File.SetUnixFileMode(backups, (UnixFileMode)0b101_101_101);
            var refused = await NodeClusterFixture.CliAsync("backup", "--type", "full", "--endpoint", standby.Url);
            File.SetUnixFileMode(backups, mode);
            Assert.True(refused.Code == 1, $"backup exited {refused.Code}: {refused.Out}{refused.Err}");
            Assert.Contains($"{primary.Name}: failed: pgbackrest backup failed (exit code ", refused.Out);
            Assert.Contains("ERROR: [", refused.Out);

            var backup = await NodeClusterFixture.CliAsync("backup", "--type", "full", "--endpoint", standby.Url);
            Assert.True(backup.Code == 0, $"backup exited {backup.Code}: {backup.Out}{backup.Err}{cluster.Logs()}");
            Assert.Contains($"{primary.Name}: succeeded: backup ", backup.Out);
            // Without TLS no standby can reach the primary's files through pgBackRest, and the progress says so.
            Assert.Contains($"(from the primary {primary.Name}: TLS is not configured", backup.Out);
            var standbyOnly = await NodeClusterFixture.CliAsync("backup", "--from", "standby", "--endpoint", standby.Url);
            Assert.True(standbyOnly.Code == 1, $"backup --from standby exited {standbyOnly.Code}: {standbyOnly.Out}{standbyOnly.Err}");
            Assert.Contains("refused (409): No standby can take a backup: TLS is not configured", standbyOnly.Err);

            var listed = await NodeClusterFixture.CliAsync("backups", "--json", "--endpoint", standby.Url);
            Assert.True(listed.Code == 0, $"backups exited {listed.Code}: {listed.Out}{listed.Err}");
            var catalog = JsonSerializer.Deserialize<BackupsDto>(listed.Out, ApiJson.Options)!;
            var full = Assert.Single(catalog.Backups);
            Assert.Equal("full", full.Type);
            Assert.NotNull(full.WalStart);
            Assert.NotNull(full.WalStop);
            Assert.True(string.CompareOrdinal(catalog.WalMax, full.WalStop) >= 0, $"archive ends at {catalog.WalMax}, before the backup's {full.WalStop}");
            var table = await NodeClusterFixture.CliAsync("backups", "--endpoint", primary.Url);
            Assert.Contains(full.Label, table.Out);

            // Rows before T, then T read from the server's own clock, then rows after it.
            await BackupClusterFixture.ScalarAsync(primary.PgPort, "CREATE TABLE pitr (id int PRIMARY KEY, phase text)");
            await BackupClusterFixture.ScalarAsync(primary.PgPort, "INSERT INTO pitr SELECT g, 'before' FROM generate_series(1, 50) g");
            var t = (DateTime)(await BackupClusterFixture.ScalarAsync(primary.PgPort, "SELECT clock_timestamp() AT TIME ZONE 'UTC'"))!;
            var lsn = (string)(await BackupClusterFixture.ScalarAsync(primary.PgPort, "SELECT pg_current_wal_lsn()::text"))!;
            await BackupClusterFixture.ScalarAsync(primary.PgPort, "INSERT INTO pitr SELECT g, 'after' FROM generate_series(51, 80) g");
            // check switches WAL and waits until that segment is archived, so the commits after T are in the archive.
            await cluster.PgBackRestOf(primary).CheckAsync(CancellationToken.None);

            var target = Path.Combine(cluster.Dir, "restored");
            var to = DateTime.SpecifyKind(t, DateTimeKind.Utc).ToString("yyyy-MM-ddTHH:mm:ss.ffffffZ", CultureInfo.InvariantCulture);
            await using (var restored = await RestoredServer.StartAsync(cluster.Repository, target, "--to", to))
            {
                Assert.Equal(50L, await BackupClusterFixture.ScalarAsync(restored.Port, "SELECT count(*) FROM pitr WHERE phase = 'before'"));
                Assert.Equal(0L, await BackupClusterFixture.ScalarAsync(restored.Port, "SELECT count(*) FROM pitr WHERE phase = 'after'"));
                Assert.Equal("off", await BackupClusterFixture.ScalarAsync(restored.Port, "SHOW archive_mode"));
            }

            var byLsn = Path.Combine(cluster.Dir, "restored-by-lsn");
            await using (var restored = await RestoredServer.StartAsync(cluster.Repository, byLsn, "--to-lsn", lsn))
                Assert.Equal(50L, await BackupClusterFixture.ScalarAsync(restored.Port, "SELECT count(*) FROM pitr"));

            var again = await AppProcess.RunAsync("restore", "--backup-repo", cluster.Repository, "--target", target);
            Assert.Equal(1, again.Code);
            Assert.Contains("is not empty", again.Err);

            // Now the async loses its disk: it is restored from the full backup and streams the rest from its
            // upstream. pgBackRest's backup_label (pg_basebackup's says "pg_basebackup base backup") proves where the
            // files came from; the rows written after the backup can only have come by streaming (no restore_command).
            var restoredLog = await cluster.RebuildAsync(standby);
            primary = (await cluster.PrimaryAsync())!;
            Assert.Contains($"made from the backup repository (backup {full.Label}); it streams from ", restoredLog);
            Assert.DoesNotContain("with pg_basebackup", restoredLog);
            var pgdata = Path.Combine(standby.DataDir, "pgdata");
            var label = File.Exists(Path.Combine(pgdata, "backup_label.old")) ? "backup_label.old" : "backup_label";
            Assert.Contains("LABEL: pgBackRest backup", await File.ReadAllTextAsync(Path.Combine(pgdata, label)));
            Assert.False(File.Exists(Path.Combine(pgdata, "backup_manifest")), "pg_basebackup's manifest is in the rebuilt data directory");
            Assert.Equal("", await BackupClusterFixture.ScalarAsync(standby.PgPort, "SHOW restore_command"));
            Assert.Equal(80L, await BackupClusterFixture.ScalarAsync(standby.PgPort, "SELECT count(*) FROM pitr"));
            Assert.Equal(1L, await BackupClusterFixture.ScalarAsync(standby.PgPort, $"SELECT count(*) FROM w WHERE id = {before}"));
            var after = await NodeClusterFixture.WriteAsync(primary);
            await Eventually.TrueAsync(async () => (long)(await BackupClusterFixture.ScalarAsync(standby.PgPort, $"SELECT count(*) FROM w WHERE id = {after}"))! == 1,
                () => $"the rebuilt {standby.Name} streams the row written after its rebuild" + cluster.Logs(), TimeSpan.FromSeconds(60));
        }
        finally
        {
            await cluster.DisposeAsync();
        }
    }

    [Fact]
    public async Task Archiving_follows_the_primary_through_a_failover_onto_its_new_timeline_and_fills_the_gap_its_predecessor_left()
    {
        var cluster = new BackupClusterFixture();
        try
        {
            await cluster.InitializeAsync();
            var primary = (await cluster.PrimaryAsync())!;
            await cluster.WaitArchivingAsync(primary);
            var before = await NodeClusterFixture.CliAsync("backup", "--endpoint", primary.Url);
            Assert.True(before.Code == 0, $"backup exited {before.Code}: {before.Out}{before.Err}{cluster.Logs()}");
            await NodeClusterFixture.WriteAsync(primary);
            await cluster.PgBackRestOf(primary).CheckAsync(CancellationToken.None);

            // The sync is replaced first: the primary names a new sync in a generation of its own, with no promotion, so
            // the failover below starts a timeline past the next number (PromotionTimeline) and skips one, whose history
            // file only the promoted node's pg_wal holds. A restore must still follow the newest timeline (PostgreSQL's
            // "latest" stops at the first missing history file).
            await cluster.ReplaceSyncAsync(primary);
            primary = (await cluster.PrimaryAsync())!;   // the same one, unless the coordinator's host moved it
            await cluster.WaitArchivingAsync(primary);
            var oldTimeline = (await cluster.StatusAsync(primary)).Timeline!.Value;

            // The primary's archiver falls behind: a finished segment that the repository refuses, then the host crashes.
            var archive = Path.Combine(cluster.Repository, "archive", "appliance");
            var modes = Directory.EnumerateDirectories(archive, "*", SearchOption.AllDirectories).ToDictionary(d => d, File.GetUnixFileMode);
            foreach (var dir in modes.Keys) File.SetUnixFileMode(dir, (UnixFileMode)0b101_101_101);
            string unarchived;
            try
            {
                await NodeClusterFixture.WriteAsync(primary);
                unarchived = (string)(await BackupClusterFixture.ScalarAsync(primary.PgPort, "SELECT pg_walfile_name(pg_switch_wal())"))!;
                await Eventually.TrueAsync(async () => await BackupClusterFixture.ScalarAsync(primary.PgPort,
                        "SELECT last_failed_wal FROM pg_stat_archiver") as string == unarchived,
                    () => "the primary fails to archive a segment" + cluster.Logs(), TimeSpan.FromSeconds(30));
                // The primary's host crashes: the node and its PostgreSQL die at once.
                using (var host = Process.GetProcessById(primary.Process!.Id)) host.Kill(entireProcessTree: true);
                await primary.Process.WaitAsync(TimeSpan.FromSeconds(30));
            }
            finally
            {
                foreach (var (dir, mode) in modes) File.SetUnixFileMode(dir, mode);
            }
            Assert.Empty(Directory.EnumerateFiles(archive, unarchived + "-*", SearchOption.AllDirectories));
            TestNode? promoted = null;
            await Eventually.TrueAsync(async () => (promoted = await cluster.PrimaryAsync()) is not null && promoted != primary,
                () => "another node takes writes" + cluster.Logs(), TimeSpan.FromSeconds(120));
            var id = await NodeClusterFixture.WriteAsync(promoted!);
            var timeline = (await cluster.StatusAsync(promoted!)).Timeline!.Value;
            Assert.True(timeline > oldTimeline + 1, $"the new primary is on timeline {timeline}, not past {oldTimeline + 1}: no number was skipped");

            await cluster.WaitArchivingAsync(promoted!);
            var catalog = BackupCatalog.Parse(await cluster.PgBackRestOf(promoted!).InfoJsonAsync(CancellationToken.None));
            var newest = catalog.WalMax!;
            Assert.True(int.Parse(newest[..8], NumberStyles.HexNumber, CultureInfo.InvariantCulture) == timeline,
                $"the newest archived segment {newest} is not on the new timeline {timeline}");
            Assert.True(Directory.EnumerateFiles(archive, $"{timeline:X8}.history", SearchOption.AllDirectories).Any(),
                $"no history file of timeline {timeline} in {archive}");
            // The new primary pushes the segment its predecessor never archived, soon after it created the stanza.
            await Eventually.TrueAsync(() => Task.FromResult(Directory.EnumerateFiles(archive, unarchived + "-*", SearchOption.AllDirectories).Any()),
                () => $"the new primary {promoted!.Name} pushes {unarchived}" + cluster.Logs(40), TimeSpan.FromSeconds(60));

            // And the archive has no gap: a restore of the backup from before the failover, to the archive's end, has the row
            // written after it.
            var target = Path.Combine(cluster.Dir, "restored");
            await using var restored = await RestoredServer.StartAsync(cluster.Repository, target);
            Assert.Equal(1L, await BackupClusterFixture.ScalarAsync(restored.Port, $"SELECT count(*) FROM w WHERE id = {id}"));
        }
        finally
        {
            await cluster.DisposeAsync();
        }
    }
}

/// <summary>A directory restored by <c>appliance restore</c> and started as a standalone server, promoted; disposing stops it.</summary>
public sealed class RestoredServer : IAsyncDisposable
{
    private readonly string _directory;

    private RestoredServer(string directory, int port) => (_directory, Port) = (directory, port);

    public int Port { get; }

    /// <summary>Restores <paramref name="repository"/> into <paramref name="target"/> (with <paramref name="restoreArgs"/>), starts it and waits until it promotes.</summary>
    public static async Task<RestoredServer> StartAsync(string repository, string target, params string[] restoreArgs)
    {
        var restore = await AppProcess.RunAsync(["restore", "--backup-repo", repository, "--target", target, .. restoreArgs]);
        Assert.True(restore.Code == 0, $"restore exited {restore.Code}: {restore.Out}{restore.Err}");
        var server = new RestoredServer(target, TestCluster.FreePort());
        var log = Path.Combine(target, "restored.log");
        var started = await BackupClusterFixture.AsPostgresAsync("pg_ctl", "-D", target, "-l", log,
            "-o", $"-p {server.Port} -c listen_addresses=127.0.0.1", "-w", "-t", "120", "start");
        try
        {
            Assert.True(started == 0, "the restored server did not start: " + ReadLog(log));
            await Eventually.TrueAsync(async () => (bool)(await BackupClusterFixture.ScalarAsync(server.Port, "SELECT NOT pg_is_in_recovery()"))!,
                () => "the restored server reaches its target and promotes" + ReadLog(log), TimeSpan.FromSeconds(60));
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync() => await BackupClusterFixture.AsPostgresAsync("pg_ctl", "-D", _directory, "-m", "immediate", "-w", "stop");

    private static string ReadLog(string path) => File.Exists(path) ? "\n" + string.Join("\n", File.ReadAllLines(path).TakeLast(30)) : "";
}
