using Npgsql;

namespace Appliance.Bench;

/// <summary>
/// One event of the writer, with times on <see cref="Clock"/>. Kind: <c>ok</c> acknowledged, <c>err</c> sent but not
/// acknowledged (outcome unknown), <c>connfail</c> nothing sent. Port: the server that acknowledged.
/// </summary>
internal sealed record WriteEvent(string Kind, long Id, double Sent, double Done, int Port, string? Error);

/// <summary>
/// The failover workload, the same as the Patroni harness's <c>load.py writer</c> so that the two are comparable:
/// sequential ids inserted one at a time through a multi-host <c>target_session_attrs=read-write</c> connection
/// string with a 1 s connect timeout, ~10 ms pause after each acknowledgement, 20 ms after a failure, a fresh
/// connection after every failure, autocommit (each INSERT its own synchronously replicated transaction).
/// </summary>
internal sealed class Writer(string connectionString) : IAsyncDisposable
{
    private readonly List<WriteEvent> _events = [];
    private readonly CancellationTokenSource _stop = new();
    private Task? _loop;
    private long _nextId = 1;

    public static async Task CreateTableAsync(string connectionString)
    {
        await using var c = new NpgsqlConnection(connectionString);
        await c.OpenAsync();
        await using var cmd = new NpgsqlCommand("CREATE TABLE IF NOT EXISTS bench_writes(id bigint PRIMARY KEY, ts timestamptz DEFAULT clock_timestamp())", c);
        await cmd.ExecuteNonQueryAsync();
    }

    public void Start() => _loop = Task.Run(LoopAsync);

    public List<WriteEvent> Snapshot() { lock (_events) return [.. _events]; }

    private void Add(WriteEvent e) { lock (_events) _events.Add(e); }

    private async Task LoopAsync()
    {
        NpgsqlConnection? conn = null;
        while (!_stop.IsCancellationRequested)
        {
            if (conn is null)
            {
                var t0 = Clock.Now;
                try
                {
                    conn = new NpgsqlConnection(connectionString);
                    await conn.OpenAsync();
                }
                catch (Exception e) when (e is NpgsqlException or InvalidOperationException or TimeoutException)
                {
                    Add(new WriteEvent("connfail", 0, t0, Clock.Now, 0, Short(e)));
                    await conn!.DisposeAsync();
                    conn = null;
                    await Task.Delay(20);
                    continue;
                }
            }
            var id = _nextId++;
            var sent = Clock.Now;
            try
            {
                await using var cmd = new NpgsqlCommand("INSERT INTO bench_writes(id) VALUES ($1) RETURNING inet_server_port()", conn);
                cmd.Parameters.AddWithValue(id);
                var port = (int)(await cmd.ExecuteScalarAsync())!;
                Add(new WriteEvent("ok", id, sent, Clock.Now, port, null));
                await Task.Delay(10);
            }
            catch (Exception e) when (e is NpgsqlException or InvalidOperationException or TimeoutException or IOException)
            {
                Add(new WriteEvent("err", id, sent, Clock.Now, 0, Short(e)));
                await conn.DisposeAsync();
                conn = null;
                await Task.Delay(20);
            }
        }
        if (conn is not null) await conn.DisposeAsync();
    }

    private static string Short(Exception e) => e.Message.Replace('\n', ' ')[..Math.Min(120, e.Message.Length)];

    /// <summary>Acknowledged ids missing on the server at <paramref name="port"/>: must always be none.</summary>
    public async Task<List<long>> MissingAckedAsync(int port)
    {
        var acked = Snapshot().Where(e => e.Kind == "ok").Select(e => e.Id).ToArray();
        await using var c = new NpgsqlConnection(ApplianceCluster.ConnectionString(port));
        await c.OpenAsync();
        await using var cmd = new NpgsqlCommand("SELECT x FROM unnest($1::bigint[]) x EXCEPT SELECT id FROM bench_writes", c);
        cmd.Parameters.AddWithValue(acked);
        var missing = new List<long>();
        await using var r = await cmd.ExecuteReaderAsync();
        while (await r.ReadAsync()) missing.Add(r.GetInt64(0));
        return missing;
    }

    public async ValueTask DisposeAsync()
    {
        if (_stop.IsCancellationRequested) return;   // idempotent: disposed explicitly and by `await using`
        await _stop.CancelAsync();
        if (_loop is not null) await _loop;
        _stop.Dispose();
    }
}
