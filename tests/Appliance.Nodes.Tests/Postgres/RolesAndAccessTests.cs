using Appliance.Nodes.Postgres;
using Appliance.Nodes.State;
using Npgsql;
using Npgsql.Replication;

namespace Appliance.Nodes.Tests.Postgres;

/// <summary>
/// Least privilege on real PostgreSQL: standbys stream as the replication role and keep no superuser password, status
/// reads run as the monitoring role, and pg_hba admits the peers the cluster state names.
/// </summary>
[Trait("Category", "Postgres")]
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class RolesAndAccessTests
{
    private static readonly ClusterCredentials Credentials = TestCluster.Credentials;

    [Fact]
    public async Task A_chain_streams_as_the_replication_role_and_no_standby_holds_the_superuser_password()
    {
        await using var cluster = new TestCluster();
        var chain = await Chain.BuildAsync(cluster, "p", "s", "a");

        foreach (var (upstream, downstream) in new[] { (chain[0], "s"), (chain[1], "a") })
        {
            var row = await Sql.ScalarAsync<string>(upstream, $"SELECT usename::text FROM pg_stat_replication WHERE application_name = '{downstream}'");
            Assert.Equal(Credentials.ReplicationUser, row);
        }
        foreach (var standby in new[] { chain[1], chain[2] })
        {
            var data = standby.DataDirectory;
            var settings = await File.ReadAllTextAsync(data.File(ApplianceConfigFile.FileName)) +
                           await File.ReadAllTextAsync(data.File("postgresql.auto.conf")) +
                           await File.ReadAllTextAsync(data.File("postgresql.conf"));
            Assert.Contains($"passfile=''{ReplicationPassFile.PathIn(data.Path)}''", settings);
            Assert.DoesNotContain(Credentials.SuperuserPassword, settings);
            Assert.DoesNotContain(Credentials.ReplicationPassword, settings);   // settings are readable by pg_monitor's members

            var passFile = data.File(ReplicationPassFile.FileName);
            Assert.Equal(ReplicationPassFile.Render(Credentials.ReplicationUser, Credentials.ReplicationPassword), await File.ReadAllTextAsync(passFile));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(passFile));
        }
    }

    [Fact]
    public async Task The_replication_role_may_only_replicate_and_its_password_is_the_derived_one_not_the_superusers()
    {
        await using var cluster = new TestCluster();
        var chain = await Chain.BuildAsync(cluster, "p", "s");
        var (primary, sync) = (chain[0], chain[1]);

        await using (var c = await Sql.ConnectAsync(primary))
        await using (var cmd = new NpgsqlCommand(
            "SELECT rolcanlogin, rolreplication, rolsuper, rolcreaterole, rolcreatedb, rolbypassrls, rolpassword, " +
            "(SELECT count(*) FROM pg_auth_members WHERE member = a.oid)::int FROM pg_authid a WHERE rolname = 'replicator'", c))
        await using (var reader = await cmd.ExecuteReaderAsync())
        {
            Assert.True(await reader.ReadAsync());
            Assert.Equal((true, true, false, false, false, false),
                (reader.GetBoolean(0), reader.GetBoolean(1), reader.GetBoolean(2), reader.GetBoolean(3), reader.GetBoolean(4), reader.GetBoolean(5)));
            Assert.True(ScramVerifier.Verifies(reader.GetString(6), Credentials.ReplicationPassword));
            Assert.False(ScramVerifier.Verifies(reader.GetString(6), Credentials.SuperuserPassword));
            Assert.Equal(0, reader.GetInt32(7));
        }

        // With its right password, a session in a database is refused by pg_hba, on the primary and on a standby.
        foreach (var node in new[] { primary, sync })
        {
            var refused = await Assert.ThrowsAsync<PostgresException>(() =>
                OpenAsync(node.Settings.Self, Credentials.ReplicationUser, Credentials.ReplicationPassword));
            Assert.Equal(PostgresErrorCodes.InvalidAuthorizationSpecification, refused.SqlState);
            Assert.Contains("rejects", refused.MessageText);
        }
        // A replication connection with the superuser's password is refused too: nobody stores it for this role any more.
        var wrong = await Assert.ThrowsAsync<PostgresException>(() =>
            OpenReplicationAsync(primary.Settings.Self, Credentials.ReplicationUser, Credentials.SuperuserPassword));
        Assert.Equal(PostgresErrorCodes.InvalidPassword, wrong.SqlState);
        await using var right = await OpenReplicationAsync(primary.Settings.Self, Credentials.ReplicationUser, Credentials.ReplicationPassword);
        Assert.True((await right.IdentifySystem()).Timeline >= 1);
    }

    [Fact]
    public async Task A_replication_role_left_with_an_old_password_gets_the_derived_one_at_the_next_primary_start_and_unchanged_roles_write_nothing()
    {
        await using var cluster = new TestCluster();
        var p = TestCluster.Peer("p");
        var s = TestCluster.Peer("s");
        var primary = await cluster.ReadOnlyPrimaryAsync(p, s);

        // What an earlier version left: the replication role with the superuser's password.
        await using (var c = await Sql.ConnectAsync(primary))
        {
            await using var tx = await c.BeginTransactionAsync();
            await using var alter = new NpgsqlCommand(
                $"SET TRANSACTION READ WRITE; SET LOCAL {CommitGuard.AllowLocalCommitSetting} = on; SET LOCAL synchronous_commit = local; " +
                $"ALTER ROLE replicator PASSWORD '{Credentials.SuperuserPassword.Replace("'", "''")}'", c, tx);
            await alter.ExecuteNonQueryAsync();
            await tx.CommitAsync();
        }
        Assert.False(ScramVerifier.Verifies(await ReplicationVerifierAsync(primary), Credentials.ReplicationPassword));

        await primary.StopAsync(default);
        await primary.StartPrimaryAsync(s, default);
        Assert.True(ScramVerifier.Verifies(await ReplicationVerifierAsync(primary), Credentials.ReplicationPassword));

        var sync = await cluster.NodeAsync(s);
        await sync.FollowAsync(p, null, null, default);
        await primary.EnableWritesWhenSyncCaughtUpAsync(s, Chain.CatchUp, default);

        // Everything in place: a check changes no catalog row (any change would give it a new xmin, and a password a
        // new salt), so every primary start can afford it.
        var before = await Sql.ScalarAsync<string>(primary, RolesCatalogSql);
        await using (var c = await Sql.ConnectAsync(primary))
            Assert.False(await ApplianceRoles.EnsureAsync(c, Credentials, default));
        Assert.Equal(before, await Sql.ScalarAsync<string>(primary, RolesCatalogSql));
    }

    /// <summary>The catalog rows of the roles, their membership and the monitoring function, with their xmin.</summary>
    private const string RolesCatalogSql = $"""
        SELECT string_agg(row, ' | ' ORDER BY row) FROM (
            SELECT format('%s %s %s', xmin, rolname, rolpassword) AS row FROM pg_authid WHERE rolname IN ('replicator', '{ClusterCredentials.MonitorUser}')
            UNION ALL SELECT format('%s member %s', xmin, member::regrole) FROM pg_auth_members WHERE member = '{ClusterCredentials.MonitorUser}'::regrole
            UNION ALL SELECT format('%s %s %s', xmin, oid::regprocedure, proacl) FROM pg_proc WHERE oid = to_regprocedure('{ApplianceRoles.HistoryFunction}')
        ) AS rows
        """;

    [Fact]
    public async Task Status_reads_run_as_the_monitoring_role_which_cannot_write_replicate_or_read_files()
    {
        await using var cluster = new TestCluster();
        var chain = await Chain.BuildAsync(cluster, "p", "s");
        var (primary, sync) = (chain[0], chain[1]);
        // Promoted, s is on timeline 2, whose history only the monitoring role's function can read for it.
        await primary.StopAsync(default);
        await sync.StartSingletonPrimaryAsync(default);

        // A superuser password that does not work: no fallback can hide a read the monitoring role could not do.
        var monitorOnly = Credentials with { SuperuserPassword = "not the password", MonitorPassword = Credentials.MonitorPassword };
        var probe = InstanceProbe.Of(sync.Settings.Self, monitorOnly, TimeSpan.FromSeconds(3));
        var status = await probe.ReadStatusAsync(default);
        Assert.Equal(2, status.Timeline);
        var historyFile = await File.ReadAllTextAsync(Path.Combine(sync.DataDirectory.Path, "pg_wal", "00000002.history"));
        Assert.Equal(TimelineHistory.Parse(2, historyFile), status.History);
        Assert.True(await probe.IsAliveAsync(TimeSpan.FromSeconds(5), default));
        Assert.Equal("", (await probe.ReadSettingAsync("synchronous_standby_names", default)).Value);

        await using var monitor = await OpenAsync(sync.Settings.Self, ClusterCredentials.MonitorUser, Credentials.MonitorPassword);
        foreach (var sql in new[]
                 {
                     "CREATE TABLE monitor_wrote (id int)",
                     "SELECT pg_read_file('postgresql.conf')",
                     $"SELECT pg_read_file('{ReplicationPassFile.FileName}')",
                     "SELECT rolpassword FROM pg_authid",
                     "SELECT pg_reload_conf()",
                     "CHECKPOINT",
                 })
        {
            await using var cmd = new NpgsqlCommand(sql, monitor);
            var refused = await Assert.ThrowsAsync<PostgresException>(() => cmd.ExecuteNonQueryAsync());
            Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, refused.SqlState);
        }
        var noReplication = await Assert.ThrowsAsync<PostgresException>(() =>
            OpenReplicationAsync(sync.Settings.Self, ClusterCredentials.MonitorUser, Credentials.MonitorPassword));
        Assert.Equal(PostgresErrorCodes.InvalidAuthorizationSpecification, noReplication.SqlState);
    }

    [Fact]
    public async Task Downstream_reads_as_the_monitoring_role_see_every_column_and_before_the_role_exists_the_superuser_reads()
    {
        await using var cluster = new TestCluster();
        var chain = await Chain.BuildAsync(cluster, "p", "s");
        var primary = chain[0];

        var monitorOnly = Credentials with { SuperuserPassword = "not the password", MonitorPassword = Credentials.MonitorPassword };
        var row = Assert.Single(await InstanceProbe.Of(primary.Settings.Self, monitorOnly, TimeSpan.FromSeconds(3)).ReadDownstreamsAsync(default));
        Assert.Equal(("s", "streaming", "sync"), (row.ApplicationName, row.State, row.SyncState));
        Assert.NotNull(row.FlushLsn);

        // A monitoring login PostgreSQL refuses (as it refuses a role that does not exist yet) falls back to the superuser.
        var noMonitor = Credentials with { MonitorPassword = "no such role yet" };
        var fallback = InstanceProbe.Of(primary.Settings.Self, noMonitor, TimeSpan.FromSeconds(3));
        Assert.Equal("s", Assert.Single(await fallback.ReadDownstreamsAsync(default)).ApplicationName);
        Assert.False((await fallback.ReadStatusAsync(default)).InRecovery);
        var neither = InstanceProbe.Of(primary.Settings.Self, noMonitor with { SuperuserPassword = "wrong" }, TimeSpan.FromSeconds(3));
        await Assert.ThrowsAsync<PostgresException>(() => neither.ReadStatusAsync(default));
    }

    [Fact]
    public async Task A_peer_the_state_does_not_name_is_refused_until_it_does_then_it_clones_and_streams_and_once_dropped_is_refused_again()
    {
        await using var cluster = new TestCluster();
        var p = TestCluster.Peer("p");
        var n = new PeerId("n", "127.0.0.2", TestCluster.FreePort());   // not a seed: the seeds are 127.0.0.1
        var primary = await cluster.ReadOnlyPrimaryAsync(p, n);
        var newcomer = await cluster.NodeAsync(n);
        // What n's connections to p look like from p: they come from 127.0.0.2.
        await using var relay = TcpRelay.Start(n.Host, p.Host, p.Port);
        var pFromN = new PeerId(p.Id, "127.0.0.1", relay.Port);

        var refused = await Assert.ThrowsAsync<PostgresException>(() =>
            OpenReplicationAsync(pFromN, Credentials.ReplicationUser, Credentials.ReplicationPassword));
        Assert.Equal(PostgresErrorCodes.InvalidAuthorizationSpecification, refused.SqlState);
        Assert.Contains("no pg_hba.conf entry", refused.MessageText);
        await Assert.ThrowsAsync<UpstreamUnreachableException>(() => newcomer.FollowAsync(pFromN, null, null, default));
        Assert.Equal(DataDirectoryKind.Empty, newcomer.DataDirectory.Kind);

        var naming = new ClusterState { Version = 2, Generation = 1, Primary = p, Sync = n };
        var pidBefore = primary.Instance!.Pid;
        Assert.True(await primary.AdmitHostsAsync(HbaFile.AdmittedHosts(naming, primary.Settings), default));
        Assert.False(await primary.AdmitHostsAsync(HbaFile.AdmittedHosts(naming with { Version = 3 }, primary.Settings), default));
        Assert.Contains("127.0.0.2/32", await File.ReadAllTextAsync(primary.DataDirectory.File(HbaFile.FileName)));

        // The reload is asynchronous (the postmaster handles its SIGHUP), so the first attempts may still be refused.
        await Eventually.TrueAsync(async () =>
        {
            await newcomer.FollowAsync(pFromN, null, null, default);
            return true;
        }, "n clones p and starts streaming");
        await primary.EnableWritesWhenSyncCaughtUpAsync(n, Chain.CatchUp, default);
        await Sql.ExecAsync(primary, "CREATE TABLE t (id int primary key); INSERT INTO t VALUES (1)");
        await Sql.HasRowAsync(newcomer, 1);
        await using (var c = await Sql.ConnectAsync(primary))
        await using (var cmd = new NpgsqlCommand("SELECT client_addr::text, usename::text FROM pg_stat_replication WHERE application_name = 'n'", c))
        await using (var reader = await cmd.ExecuteReaderAsync())
        {
            Assert.True(await reader.ReadAsync());
            Assert.Equal(("127.0.0.2/32", "replicator"), (reader.GetString(0), reader.GetString(1)));
        }
        Assert.Equal(pidBefore, primary.Instance!.Pid);   // reloaded, never restarted

        var dropped = new ClusterState { Version = 4, Generation = 1, Primary = p, Singleton = true };
        Assert.True(await primary.AdmitHostsAsync(HbaFile.AdmittedHosts(dropped, primary.Settings), default));
        await Eventually.ReturnsAsync(async () =>
        {
            try
            {
                await using var again = await OpenReplicationAsync(pFromN, Credentials.ReplicationUser, Credentials.ReplicationPassword);
                return "admitted";
            }
            catch (PostgresException e) { return e.SqlState; }
        }, state => state == PostgresErrorCodes.InvalidAuthorizationSpecification, "p refuses n's new connections again");
    }

    private static async Task<string?> ReplicationVerifierAsync(PostgresDriver node)
    {
        await using var c = await Sql.ConnectAsync(node);
        await using var cmd = new NpgsqlCommand("SELECT rolpassword FROM pg_authid WHERE rolname = 'replicator'", c);
        await using var reader = await cmd.ExecuteReaderAsync();
        return await reader.ReadAsync() && !reader.IsDBNull(0) ? reader.GetString(0) : null;
    }

    private static NpgsqlConnectionStringBuilder Builder(PeerId peer, string user, string password) =>
        PeerConnectionDefaults.Apply(new NpgsqlConnectionStringBuilder
        {
            Host = peer.Host, Port = peer.Port, Username = user, Password = password, Database = "postgres", Pooling = false, Timeout = 5,
        });

    private static Task<NpgsqlConnection> OpenAsync(PeerId peer, string user, string password) =>
        OpenedAsync(new NpgsqlConnection(Builder(peer, user, password).ConnectionString), c => c.OpenAsync());

    private static Task<PhysicalReplicationConnection> OpenReplicationAsync(PeerId peer, string user, string password) =>
        OpenedAsync(new PhysicalReplicationConnection(Builder(peer, user, password).ConnectionString), c => c.Open());

    private static async Task<T> OpenedAsync<T>(T connection, Func<T, Task> open) where T : IAsyncDisposable
    {
        try
        {
            await open(connection);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }
}
