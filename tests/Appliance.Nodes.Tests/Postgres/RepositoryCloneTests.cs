using Appliance.Nodes.Backup;
using Appliance.Nodes.Postgres;
using Appliance.Nodes.State;

namespace Appliance.Nodes.Tests.Postgres;

/// <summary>
/// A new replica is restored from the backup repository and streams the rest, or falls back to pg_basebackup. Real
/// PostgreSQL 15 and pgBackRest, a local repository; the primary archives into it.
/// </summary>
[Trait("Category", "Postgres")]
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class RepositoryCloneTests
{
    [Fact]
    public async Task A_replica_is_restored_from_the_newest_backup_and_streams_and_a_failed_restore_or_an_upstream_without_the_wal_after_it_falls_back_to_pg_basebackup()
    {
        await using var cluster = new TestCluster();
        var repo = Path.Combine(cluster.Path_, "repo");
        Directory.CreateDirectory(repo);
        PgBackRestConfig.GiveToPostgres(repo);
        async Task<PostgresDriver> NodeWithRepository(PeerId peer)
        {
            var settings = cluster.Settings(peer) with { Backup = new BackupSettings(repo, "appliance", Path.Combine(cluster.Path_, peer.Id + "-pgbackrest"), []) };
            await PgBackRestConfig.WriteAsync(settings.Backup!, settings.DataDirectory, peer.Port, default);
            return await cluster.NodeAsync(peer, settings);
        }

        var (p, s) = (TestCluster.Peer("p"), TestCluster.Peer("s"));
        var primary = await NodeWithRepository(p);
        await primary.InitializeAsync(default);
        await primary.StartPrimaryAsync(s, default);
        var sync = await cluster.NodeAsync(s);
        await sync.FollowAsync(p, null, null, default);
        await primary.EnableWritesWhenSyncCaughtUpAsync(s, Chain.CatchUp, default);
        var pgbackrest = new PgBackRest(primary.Settings.Backup!, "127.0.0.1", TestCluster.Credentials);
        await pgbackrest.StanzaCreateAsync(default);
        await Sql.ExecAsync(primary, "CREATE TABLE t (id int primary key)");
        await Sql.ExecAsync(primary, "INSERT INTO t SELECT generate_series(1, 100)");
        await pgbackrest.BackupAsync(BackupType.Full, null, null, default);
        var label = BackupCatalog.Parse(await pgbackrest.InfoJsonAsync(default)).Backups.Single().Label;
        await Sql.ExecAsync(primary, "INSERT INTO t SELECT generate_series(101, 200)");

        // Chained from the sync, as an async is: restored, then streams what came after the backup from the sync.
        var a = TestCluster.Peer("a");
        var restored = await NodeWithRepository(a);
        var progress = new ProgressRecorder();
        await restored.FollowAsync(s, null, progress, default);
        var method = Assert.IsType<CloneMethod.FromRepository>(restored.LastClone);
        Assert.Equal(label, method.Backup.Label);
        Assert.Contains("LABEL: pgBackRest backup", await File.ReadAllTextAsync(Path.Combine(restored.DataDirectory.Path, "backup_label.old")));
        Assert.Equal("", await Sql.ScalarAsync<string>(restored, "SHOW restore_command"));
        Assert.Equal(200L, await Sql.CountAsync(restored, "t"));
        await Sql.ExecAsync(primary, "INSERT INTO t VALUES (201)");
        await Sql.HasRowAsync(restored, 201);
        Assert.Contains(await sync.Probe.ReadDownstreamsAsync(default), d => d.ApplicationName == "a");
        var reports = progress.Reports.ToArray();
        Assert.NotEmpty(reports);
        Assert.True(reports[^1].BytesDone >= reports[^1].BytesTotal * 0.9, $"last progress {reports[^1].BytesDone}/{reports[^1].BytesTotal}");

        // The backup's files cannot be read: the restore fails, its partial copy is removed, and pg_basebackup copies the
        // primary (whose fast checkpoint, unlike a standby's restartpoint, is new: b's WAL begins after the backup's).
        var backupDir = Path.Combine(repo, "backup", "appliance", label);
        var mode = File.GetUnixFileMode(backupDir);
        File.SetUnixFileMode(backupDir, UnixFileMode.None);
        await Sql.ExecAsync(primary, "SELECT pg_switch_wal()");   // b's copy begins past the backup's last segment
        var b = TestCluster.Peer("b");
        var copied = await NodeWithRepository(b);
        try
        {
            await copied.FollowAsync(p, null, null, default);
        }
        finally
        {
            File.SetUnixFileMode(backupDir, mode);
        }
        var fallback = Assert.IsType<CloneMethod.BaseBackup>(copied.LastClone);
        Assert.StartsWith($"the restore of backup {label} failed: pgbackrest restore failed", fallback.Why);
        Assert.True(File.Exists(Path.Combine(copied.DataDirectory.Path, "backup_manifest")), "no pg_basebackup manifest in the fallback's copy");
        await Sql.HasRowAsync(copied, 201);

        // An upstream whose WAL begins after the backup (b's begins where its copy did): the restored copy could not catch
        // up without reading the archive, so it is copied from b instead.
        var late = await NodeWithRepository(TestCluster.Peer("c"));
        await late.FollowAsync(b, null, null, default);
        var recycled = Assert.IsType<CloneMethod.BaseBackup>(late.LastClone);
        Assert.Contains($"backup {label} stops at ", recycled.Why);
        Assert.Contains($"but upstream b keeps WAL only from ", recycled.Why);
        await Sql.ExecAsync(primary, "INSERT INTO t VALUES (202)");
        await Sql.HasRowAsync(late, 202);
    }
}
