using Appliance.Nodes.Postgres;
using Npgsql;

namespace Appliance.Nodes.Tests.Postgres;

/// <summary>
/// appliance_guard: with the sync's PostgreSQL stopped, no way of lowering synchronous_commit gets a write acknowledged,
/// and the refused rows never appear, not even once the sync is back.
/// </summary>
[Trait("Category", "Postgres")]
public sealed class CommitGuardTests
{
    private static readonly TimeSpan CommitTimeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task CommitGuard_refuses_every_way_of_committing_below_on_while_the_sync_is_down()
    {
        await using var cluster = new TestCluster();
        var chain = await Chain.BuildAsync(cluster, "p", "s");
        var (primary, sync) = (chain[0], chain[1]);
        Assert.Equal("on", await Sql.ScalarAsync<string>(primary, $"SHOW {CommitGuard.EnabledSetting}"));

        // Catalog changes commit through the sync, so they are made while it runs.
        await Sql.ExecAsync(primary, "CREATE ROLE app LOGIN PASSWORD 'app-pw'; GRANT ALL ON t TO app; " +
                                     "ALTER ROLE app SET synchronous_commit = local");
        await Sql.ExecAsync(primary, "CREATE DATABASE guarddb");
        await ExecOnAsync(primary, "guarddb", null, "CREATE TABLE t (id int primary key)");
        await Sql.ExecAsync(primary, "ALTER DATABASE guarddb SET synchronous_commit = local");
        await sync.StopAsync(default);

        await RefusedAsync(primary, "postgres", null, "SET synchronous_commit = local", "INSERT INTO t VALUES (10)");
        await RefusedAsync(primary, "postgres", null, "SET synchronous_commit = off", "INSERT INTO t VALUES (11)");
        await RefusedAsync(primary, "postgres", null, "SET synchronous_commit = remote_write", "INSERT INTO t VALUES (12)");
        await RefusedAsync(primary, "postgres", null,
            "BEGIN", "SET LOCAL synchronous_commit = local", "INSERT INTO t VALUES (13)", "COMMIT");
        await RefusedAsync(primary, "postgres", "app", "INSERT INTO t VALUES (14)");
        await RefusedAsync(primary, "guarddb", null, "INSERT INTO t VALUES (15)");
        // A non-superuser cannot open the escape hatch.
        var hatch = await Assert.ThrowsAsync<PostgresException>(() =>
            ExecOnAsync(primary, "postgres", "app", $"SET {CommitGuard.AllowLocalCommitSetting} = on"));
        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, hatch.SqlState);

        await Sql.ExecAsync(primary, "ALTER SYSTEM SET synchronous_commit = local; SELECT pg_reload_conf()");
        await Eventually.TrueAsync(async () => await Sql.ScalarAsync<string>(primary, "SHOW synchronous_commit") == "local",
            "a new session sees synchronous_commit = local from ALTER SYSTEM");
        await RefusedAsync(primary, "postgres", null, "INSERT INTO t VALUES (16)");

        // Reads under a low level are untouched.
        await ExecOnAsync(primary, "postgres", null, "SET synchronous_commit = local", "SELECT count(*) FROM t");
        await ExecOnAsync(primary, "postgres", "app", "SELECT count(*) FROM t");
        await ExecOnAsync(primary, "guarddb", null, "SELECT count(*) FROM t");

        await Sql.ExecAsync(primary, "ALTER SYSTEM RESET synchronous_commit; SELECT pg_reload_conf()");
        await Eventually.TrueAsync(async () => await Sql.ScalarAsync<string>(primary, "SHOW synchronous_commit") == "on",
            "synchronous_commit is back to on");
        await sync.FollowAsync(chain.Peers[0], null, null, default);

        // remote_apply waits for the sync, so it is allowed and commits once the sync runs.
        await ExecOnAsync(primary, "postgres", null, "SET synchronous_commit = remote_apply", "INSERT INTO t VALUES (20)")
            .WaitAsync(CommitTimeout);
        await Sql.HasRowAsync(sync, 20);
        Assert.Equal(0L, await Sql.CountAsync(primary, "t", "id BETWEEN 10 AND 16"));
        Assert.Equal(0L, await Sql.CountAsync(sync, "t", "id BETWEEN 10 AND 16"));
    }

    /// <summary>Runs the statements on one session and requires the commit to be refused by the guard, promptly.</summary>
    private static async Task RefusedAsync(PostgresDriver node, string database, string? user, params string[] statements)
    {
        var attempt = ExecOnAsync(node, database, user, statements);
        var finished = await Task.WhenAny(attempt, Task.Delay(CommitTimeout));
        Assert.True(finished == attempt,
            $"'{string.Join("; ", statements)}' neither committed nor failed within {CommitTimeout.TotalSeconds} s: it waits for the sync instead of being refused");
        var e = await Assert.ThrowsAsync<PostgresException>(() => attempt);
        Assert.Equal(PostgresErrorCodes.ObjectNotInPrerequisiteState, e.SqlState);
        Assert.Contains("is not allowed while a synchronous standby is named", e.MessageText);
    }

    private static async Task ExecOnAsync(PostgresDriver node, string database, string? user, params string[] statements)
    {
        var builder = new NpgsqlConnectionStringBuilder
        {
            Host = node.Settings.Self.Host,
            Port = node.Settings.Self.Port,
            Database = database,
            Username = user ?? ClusterCredentials.Superuser,
            Password = user is null ? TestCluster.Credentials.SuperuserPassword : "app-pw",
            Pooling = false,
        };
        await using var connection = new NpgsqlConnection(builder.ConnectionString);
        await connection.OpenAsync();
        foreach (var sql in statements)
        {
            await using var command = new NpgsqlCommand(sql, connection);
            await command.ExecuteNonQueryAsync();
        }
    }
}
