using System.Diagnostics;
using System.Text.Json;
using Appliance.Host.Api;
using Appliance.Host.Api.Json;
using Appliance.Nodes.Backup;
using Appliance.Nodes.Postgres;

namespace Appliance.Backup.Tests;

/// <summary>
/// Issue 17: a backup is taken from a standby by default. Three real TLS nodes, each with its pgBackRest server; real
/// PostgreSQL 15 and pgBackRest, a local repository.
/// </summary>
[Trait("Category", "Cluster")]
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class StandbyBackupProcessTests
{
    [Fact]
    public async Task A_backup_is_taken_from_the_last_async_by_default_and_a_restore_of_it_has_the_rows()
    {
        var cluster = new BackupClusterFixture(tls: true);
        try
        {
            await cluster.InitializeAsync();
            var primary = (await cluster.PrimaryAsync())!;
            await cluster.WaitArchivingAsync(primary);
            var async = await cluster.NodeInRoleAsync("async");
            await BackupClusterFixture.ScalarAsync(primary.PgPort, "CREATE TABLE standby_backup (id int PRIMARY KEY, payload text)");
            await BackupClusterFixture.ScalarAsync(primary.PgPort, "INSERT INTO standby_backup SELECT g, repeat('x', 100) FROM generate_series(1, 1000) g");

            // Asked for the primary, the primary backs up, whatever standbys there are.
            var onPrimary = await NodeClusterFixture.CliAsync("backup", "--type", "full", "--from", "primary", "--endpoint", async.Url, "--ca", cluster.CaFile);
            Assert.True(onPrimary.Code == 0, $"backup --from primary exited {onPrimary.Code}: {onPrimary.Out}{onPrimary.Err}{cluster.Logs()}");
            Assert.Contains($"({primary.Name} is the primary, as asked (--from primary))", onPrimary.Out);
            Assert.Contains($"{primary.Name}: succeeded: backup ", onPrimary.Out);

            var backup = await NodeClusterFixture.CliAsync("backup", "--type", "full", "--endpoint", primary.Url, "--ca", cluster.CaFile);
            Assert.True(backup.Code == 0, $"backup exited {backup.Code}: {backup.Out}{backup.Err}{cluster.Logs()}");
            Assert.Contains($"(from the standby {async.Name}, the last async", backup.Out);
            Assert.Contains($"{async.Name}: succeeded: backup ", backup.Out);

            var listed = await NodeClusterFixture.CliAsync("backups", "--json", "--endpoint", async.Url, "--ca", cluster.CaFile);
            Assert.True(listed.Code == 0, $"backups exited {listed.Code}: {listed.Out}{listed.Err}");
            var backups = JsonSerializer.Deserialize<BackupsDto>(listed.Out, ApiJson.Options)!.Backups;
            Assert.Equal(2, backups.Count);
            // pgBackRest records in each backup's manifest whether the files were copied from a standby.
            Task<string> Manifest(BackupEntry b) => File.ReadAllTextAsync(Path.Combine(cluster.Repository, "backup", "appliance", b.Label, "backup.manifest"));
            Assert.Contains("option-backup-standby=false", await Manifest(backups[0]));
            Assert.Contains("option-backup-standby=true", await Manifest(backups[1]));

            // The primary's pgBackRest server admits only the nodes the state names: n4 has a certificate from the
            // cluster's CA but is no member, and is refused.
            var n4 = PostgresTls.Install(Path.Combine(cluster.TlsDir, "n4.crt"), Path.Combine(cluster.TlsDir, "n4.key"), cluster.CaFile,
                Path.Combine(cluster.Dir, "n4-tls"));
            var intruder = new PgBackRest(cluster.PgBackRestOf(async).Settings, "127.0.0.1", ClusterCredentials.FromSecret(NodeClusterFixture.Password) with { Tls = n4 });
            var primaryServer = new PrimaryEndpoint("localhost", primary.PgPort, Path.Combine(primary.DataDir, "pgdata"), cluster.ServerPorts[primary.Name]);
            var refused = await Assert.ThrowsAsync<PgBackRestException>(() => intruder.BackupAsync(BackupType.Full, primaryServer, null, CancellationToken.None));
            Assert.Contains("unable to check pg2: [AccessError]", refused.Message);
            Assert.Contains("access denied", refused.Message);

            // The primary's server dies: its node starts it again (logged), and the next backup from the standby works.
            var serverConfig = Path.Combine(primary.DataDir, "pgbackrest", "server.conf");
            var killed = ServerPid(serverConfig) ?? throw new InvalidOperationException($"no pgbackrest server runs with {serverConfig}");
            using (var server = Process.GetProcessById(killed)) server.Kill();
            int? restarted = null;
            await Eventually.TrueAsync(() => Task.FromResult((restarted = ServerPid(serverConfig)) is { } pid && pid != killed),
                () => $"{primary.Name} starts its pgbackrest server again" + cluster.Logs(40), TimeSpan.FromSeconds(60));
            Assert.Contains("pgbackrest server exited, starting it again in 1 s", primary.Process!.Stdout);
            var again = await NodeClusterFixture.CliAsync("backup", "--type", "incr", "--from", "standby", "--endpoint", primary.Url, "--ca", cluster.CaFile);
            Assert.True(again.Code == 0, $"backup after the server's restart exited {again.Code}: {again.Out}{again.Err}{cluster.Logs()}");
            Assert.Contains($"{async.Name}: succeeded: backup ", again.Out);

            // The async's host process alone is killed (kill -9, as the OOM killer would): its pgbackrest server lives on,
            // orphaned, holding the port. Started again, the node stops that server first and serves again.
            var asyncConfig = Path.Combine(async.DataDir, "pgbackrest", "server.conf");
            var orphan = ServerPid(asyncConfig) ?? throw new InvalidOperationException($"no pgbackrest server runs with {asyncConfig}");
            using (var host = Process.GetProcessById(async.Process!.Id)) host.Kill(entireProcessTree: false);
            await async.Process.WaitAsync(TimeSpan.FromSeconds(30));
            Assert.True(LeftoverPgBackRestServer.ServersOf(asyncConfig).Contains(orphan), $"the server {orphan} did not outlive its node: nothing to test");
            await async.Process.DisposeAsync();
            async.Process = cluster.StartBackupNode(async);
            await Eventually.TrueAsync(() => Task.FromResult(ServerPid(asyncConfig) is { } pid && pid != orphan && !LeftoverPgBackRestServer.ServersOf(asyncConfig).Contains(orphan)),
                () => $"{async.Name} stops the server it left behind and starts its own" + cluster.Logs(40), TimeSpan.FromSeconds(90));
            // The line is logged by the actor after the stop, so it may trail the new server by a moment.
            await Eventually.TrueAsync(() => Task.FromResult(async.Process.Stdout.Contains($"stopped the server an earlier run of this node left behind (pid {orphan}", StringComparison.Ordinal)),
                () => $"{async.Name} logs that it stopped the server {orphan} it left behind" + cluster.Logs(40), TimeSpan.FromSeconds(10));

            var target = Path.Combine(cluster.Dir, "restored");
            await using var restored = await RestoredServer.StartAsync(cluster.Repository, target);
            Assert.Equal(1000L, await BackupClusterFixture.ScalarAsync(restored.Port, "SELECT count(*) FROM standby_backup"));
        }
        finally
        {
            await cluster.DisposeAsync();
        }
    }

    /// <summary>The process id of the <c>pgbackrest server</c> that reads <paramref name="configFile"/> (the lowest, if it forked), if one runs.</summary>
    private static int? ServerPid(string configFile) => LeftoverPgBackRestServer.ServersOf(configFile) is { Count: > 0 } pids ? pids.Min() : null;
}
