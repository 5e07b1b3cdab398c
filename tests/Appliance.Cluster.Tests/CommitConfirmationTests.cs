using Appliance.Actors.Client;
using Npgsql;

namespace Appliance.Cluster.Tests;

/// <summary>
/// PostgreSQL keeps a commit whose wait for the sync is cancelled and answers only with a WARNING; the client's
/// <see cref="SyncCommitWatch"/> turns that into <see cref="CommitNotConfirmedException"/> (real servers: a primary
/// whose sync's PostgreSQL is stopped).
/// </summary>
[Trait("Category", "Postgres")]
public sealed class CommitConfirmationTests
{
    // A cancelled wait is answered at once; a write still waiting after this was never cancelled.
    private static readonly TimeSpan Answer = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_commit_whose_wait_for_the_sync_is_cancelled_is_not_confirmed_while_one_the_sync_holds_is()
    {
        await using var cluster = new TestCluster();
        var chain = await Chain.BuildAsync(cluster, "p", "s");
        var (primary, sync) = (chain[0], chain[1]);
        await using var connection = await Sql.ConnectAsync(primary);

        await SyncCommitWatch.RunAsync(connection, c => ExecAsync(c, "INSERT INTO t VALUES (2)"));
        await sync.StopAsync(default);

        // An autocommit write cancelled by pg_cancel_backend while it waits for the sync.
        var cancelled = SyncCommitWatch.RunAsync(connection, c => ExecAsync(c, "INSERT INTO t VALUES (3)"));
        await PendingCommit.WaitsForSyncAsync(primary, connection.ProcessID, cancelled);
        await Sql.ExecAsync(primary, $"SELECT pg_cancel_backend({connection.ProcessID})");
        var e = await Assert.ThrowsAsync<CommitNotConfirmedException>(() => cancelled.WaitAsync(Answer));
        // Matched by the routine's name, which lc_messages does not translate.
        Assert.Equal("SyncRepWaitForLSN", e.Notice.Routine);
        // PostgreSQL did keep it locally: exactly why it must not count as acknowledged.
        Assert.Equal(1L, await Sql.CountAsync(primary, "t", "id = 3"));

        // An explicit transaction whose COMMIT the application cancels (Npgsql sends PostgreSQL a cancel request).
        // statement_timeout would not do: PostgreSQL disables it before the commit waits for the sync.
        using var cancel = new CancellationTokenSource();
        var abandoned = SyncCommitWatch.RunAsync(connection, async c =>
        {
            await using var tx = await c.BeginTransactionAsync();
            await ExecAsync(c, "INSERT INTO t VALUES (4)");
            await tx.CommitAsync(cancel.Token);
            return 0;
        });
        await PendingCommit.WaitsForSyncAsync(primary, connection.ProcessID, abandoned);
        cancel.Cancel();
        await Assert.ThrowsAsync<CommitNotConfirmedException>(() => abandoned.WaitAsync(Answer));
        Assert.Equal(1L, await Sql.CountAsync(primary, "t", "id = 4"));

        // The connection stays usable, and a watch does not carry an old warning into the next piece of work.
        await SyncCommitWatch.RunAsync(connection, c => ExecAsync(c, "SELECT count(*) FROM t"));

        // Once the sync is back, the local-only commits reach it and new writes are confirmed again.
        await sync.FollowAsync(chain.Peers[0], null, null, default);
        await SyncCommitWatch.RunAsync(connection, c => ExecAsync(c, "INSERT INTO t VALUES (5)"));
        await Sql.HasRowAsync(sync, 5);
    }

    private static async Task<int> ExecAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        return await command.ExecuteNonQueryAsync();
    }
}
