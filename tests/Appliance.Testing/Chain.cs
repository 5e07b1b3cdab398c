using Appliance.Nodes.Postgres;
using Appliance.Nodes.State;

namespace Appliance.Testing;

/// <summary>A writable chain primary → sync → asyncs…, with table t holding row 1 on every member.</summary>
public sealed record Chain(IReadOnlyList<PeerId> Peers, IReadOnlyList<PostgresDriver> Nodes)
{
    public static readonly TimeSpan CatchUp = TimeSpan.FromSeconds(30);

    public PostgresDriver this[int i] => Nodes[i];

    public static async Task<Chain> BuildAsync(TestCluster cluster, params string[] ids)
    {
        var peers = ids.Select(TestCluster.Peer).ToArray();
        var nodes = new List<PostgresDriver>();
        foreach (var peer in peers) nodes.Add(await cluster.NodeAsync(peer));

        await nodes[0].InitializeAsync(default);
        await nodes[0].StartPrimaryAsync(peers[1], default);
        for (var i = 1; i < peers.Length; i++)
            await nodes[i].FollowAsync(peers[i - 1], i + 1 < peers.Length ? peers[i + 1] : null, null, default);
        await nodes[0].EnableWritesWhenSyncCaughtUpAsync(peers[1], CatchUp, default);
        await Sql.ExecAsync(nodes[0], "CREATE TABLE t (id int primary key)");
        await Sql.ExecAsync(nodes[0], "INSERT INTO t VALUES (1)");
        foreach (var node in nodes.Skip(1)) await Sql.HasRowAsync(node, 1);
        return new Chain(peers, nodes);
    }
}

/// <summary>A client transaction started in the background, to watch whether it is acknowledged.</summary>
public sealed class PendingCommit
{
    private PendingCommit(Task task, int backendPid)
    {
        Task = task;
        BackendPid = backendPid;
    }

    public Task Task { get; }
    public int BackendPid { get; }

    /// <summary>Runs <paramref name="statements"/> one by one on a new client connection without awaiting them.</summary>
    public static async Task<PendingCommit> StartAsync(PostgresDriver node, params string[] statements)
    {
        var connection = await Sql.ConnectAsync(node);
        var pid = connection.ProcessID;
        async Task Run()
        {
            await using (connection)
                foreach (var sql in statements)
                {
                    await using var cmd = new Npgsql.NpgsqlCommand(sql, connection);
                    await cmd.ExecuteNonQueryAsync();
                }
        }
        return new PendingCommit(Run(), pid);
    }

    /// <summary>Waits until the backend is waiting for the sync to confirm its commit (wait_event SyncRep).</summary>
    public Task WaitsForSyncAsync(PostgresDriver primary) => WaitsForSyncAsync(primary, BackendPid, Task);

    /// <summary>Waits until backend <paramref name="pid"/>, running <paramref name="write"/>, waits for the sync (wait_event SyncRep).</summary>
    public static Task WaitsForSyncAsync(PostgresDriver primary, int pid, Task write) =>
        Eventually.TrueAsync(async () =>
            {
                // Fail at once with the client's own outcome rather than at the deadline.
                if (write.IsCompleted) throw new InvalidOperationException("The client's transaction ended before it waited for the sync.", write.Exception);
                return await Sql.ScalarAsync<bool>(primary,
                    $"SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE pid = {pid} AND wait_event = 'SyncRep')");
            },
            $"backend {pid} waits for the sync to confirm its commit");
}
