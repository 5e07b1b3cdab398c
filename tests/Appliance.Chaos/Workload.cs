using Appliance.Actors.Client;
using System.Collections.Concurrent;
using Npgsql;

namespace Appliance.Chaos;

/// <summary>
/// Clients that insert unique ids into table <c>chaos</c> and record what they learned of each: two "followers"
/// write wherever the poller last saw a primary, and one "pinned" client per node writes to that node only (direct
/// write probes, so that a node that takes writes while /primary says otherwise is caught too). A client never
/// retries an id, so an id's presence in the end can be judged against the one outcome recorded for it.
/// </summary>
public sealed class Workload(ChaosCluster cluster, PrimaryPoller poller, int followers = 2) : IAsyncDisposable
{
    private readonly ConcurrentQueue<WriteRecord> _writes = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _clients = [];
    private long _sequence;

    /// <summary>Every write attempt so far.</summary>
    public IReadOnlyList<WriteRecord> Writes => [.. _writes];

    /// <summary>Every write as a writable sample (acknowledged = writable; failed or unknown breaks the run).</summary>
    public IEnumerable<WritableSample> Samples =>
        Writes.Select(w => new WritableSample($"client{w.Client}", w.Node, w.Start, w.End, w.Outcome == Outcome.Acknowledged));

    /// <summary>
    /// Creates table <c>chaos</c> on the primary, waiting (and logging each refusal) while no primary takes it: on a
    /// saturated machine the primary of a cluster that was healthy a moment ago can be fenced by its lease for a
    /// moment (read-only, 25006), which is the product working, not a fault of the run. No client writes before this.
    /// </summary>
    private async Task CreateTableAsync(ChaosNode primary)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(120);
        while (true)
        {
            var target = poller.CurrentPrimary ?? primary;
            try
            {
                await using var c = new NpgsqlConnection(ConnectionString(target));
                await c.OpenAsync();
                await using var cmd = new NpgsqlCommand("CREATE TABLE IF NOT EXISTS chaos (id bigint PRIMARY KEY, node text NOT NULL, at timestamptz NOT NULL DEFAULT now())", c);
                await cmd.ExecuteNonQueryAsync();
                return;
            }
            catch (NpgsqlException e) when (DateTime.UtcNow < deadline)
            {
                cluster.History.Log($"workload: {target.Name} did not take the table yet ({e.Message}); waiting for a primary that does");
                await Task.Delay(500);
            }
        }
    }

    /// <summary>Connection string to <paramref name="n"/> as the superuser, without pooling (each client owns its connection).</summary>
    public static string ConnectionString(ChaosNode n) => new NpgsqlConnectionStringBuilder
    {
        Host = n.Address, Port = ChaosCluster.PgPort, Username = "postgres", Password = ChaosCluster.Password,
        Database = "postgres", Timeout = 3, CommandTimeout = 10, Pooling = false,
    }.ConnectionString;

    /// <summary>Creates the table on the current primary, then starts the clients.</summary>
    public async Task StartAsync(ChaosNode primary)
    {
        await CreateTableAsync(primary);
        for (var c = 0; c < followers; c++)
        {
            var client = c;
            _clients.Add(Task.Run(() => ClientAsync(client, () => poller.CurrentPrimary, TimeSpan.FromMilliseconds(20), _stop.Token)));
        }
        foreach (var n in cluster.Nodes)
        {
            var client = followers + n.Index - 1;
            _clients.Add(Task.Run(() => ClientAsync(client, () => n, TimeSpan.FromMilliseconds(250), _stop.Token)));
        }
    }

    private async Task ClientAsync(int client, Func<ChaosNode?> target, TimeSpan pause, CancellationToken ct)
    {
        NpgsqlConnection? connection = null;
        ChaosNode? connectedTo = null;
        var syncWaitCancelled = false;
        while (!ct.IsCancellationRequested)
        {
            var node = target();
            if (node is null)
            {
                await Delay(TimeSpan.FromMilliseconds(100), ct);
                continue;
            }
            var id = Interlocked.Increment(ref _sequence);
            var start = cluster.History.Now;
            Outcome outcome;
            string? error = null;
            try
            {
                if (connection is null || connectedTo != node)
                {
                    if (connection is not null) await connection.DisposeAsync();
                    connection = null;
                    var fresh = new NpgsqlConnection(ConnectionString(node));
                    // PostgreSQL acknowledges a commit whose wait for the sync was cancelled, with only this warning:
                    // such a commit is not durable on the sync, so the client must not count it as acknowledged.
                    fresh.Notice += (_, e) => { if (SyncCommitWatch.IsCancelledSyncWait(e.Notice)) syncWaitCancelled = true; };
                    try { await fresh.OpenAsync(ct); }
                    catch { await fresh.DisposeAsync(); throw; }
                    connection = fresh;
                    connectedTo = node;
                }
            }
            catch (Exception e) when (e is NpgsqlException or TimeoutException or IOException or InvalidOperationException)
            {
                Record(new WriteRecord(id, node.Name, client, start, cluster.History.Now, Outcome.Failed, "connect: " + e.Message));
                await Delay(TimeSpan.FromMilliseconds(100), ct);
                continue;
            }
            catch (OperationCanceledException) { break; }
            try
            {
                syncWaitCancelled = false;
                await using var cmd = new NpgsqlCommand("INSERT INTO chaos (id, node) VALUES ($1, $2)", connection);
                cmd.Parameters.AddWithValue(id);
                cmd.Parameters.AddWithValue(node.Name);
                await cmd.ExecuteNonQueryAsync(CancellationToken.None);
                outcome = syncWaitCancelled ? Outcome.Indeterminate : Outcome.Acknowledged;
                if (syncWaitCancelled) error = "acknowledged with a warning that the wait for synchronous replication was cancelled";
            }
            catch (PostgresException e) when (e.Severity is "ERROR")
            {
                // An ERROR aborts the statement, and in autocommit its transaction: certainly not committed.
                outcome = Outcome.Failed;
                error = $"{e.SqlState}: {e.MessageText}";
            }
            catch (Exception e) when (e is NpgsqlException or TimeoutException or IOException or InvalidOperationException)
            {
                outcome = Outcome.Indeterminate;
                error = e.Message;
            }
            Record(new WriteRecord(id, node.Name, client, start, cluster.History.Now, outcome, error));
            if (outcome != Outcome.Acknowledged)
            {
                await connection.DisposeAsync();
                connection = null;
            }
            await Delay(pause, ct);
        }
        if (connection is not null) await connection.DisposeAsync();
    }

    private void Record(WriteRecord w) => _writes.Enqueue(w);

    private static async Task Delay(TimeSpan t, CancellationToken ct)
    {
        try { await Task.Delay(t, ct); } catch (OperationCanceledException) { }
    }

    /// <summary>Stops the clients (each finishes its write in flight).</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1) return;   // FinishAsync stops the clients before the run's own disposal
        await _stop.CancelAsync();
        await Task.WhenAll(_clients);
        _stop.Dispose();
    }

    private int _disposed;
}
