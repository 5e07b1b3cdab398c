using System.Collections.Concurrent;
using Appliance.Nodes.Postgres;
using Npgsql;

namespace Appliance.Cluster.Tests.Scenarios;

/// <summary>
/// A client that inserts unique ids into the current primary as fast as it can, one short transaction each, and
/// records which commits were acknowledged and which failed or are indeterminate (the connection broke during the
/// commit). It asks <paramref name="primary"/> where to write before every attempt, as a client behind a load
/// balancer's <c>/primary</c> check would.
/// </summary>
internal sealed class AcknowledgedWriter(Func<Task<PostgresDriver?>> primary, Action<string> log) : IAsyncDisposable
{
    private readonly ConcurrentQueue<(int Id, DateTimeOffset Started, DateTimeOffset At)> _acknowledged = new();
    private readonly CancellationTokenSource _stop = new();
    private Task? _loop;
    private int _next;

    public IReadOnlyCollection<int> Acknowledged => [.. _acknowledged.Select(a => a.Id)];

    public int Indeterminate { get; private set; }

    /// <summary>Writes that failed while the writer was running (refused read-only, or broken), not counting the one cut off by stopping.</summary>
    public int Failed { get; private set; }

    public void Start() => _loop = Task.Run(RunAsync);

    /// <summary>
    /// When the first write that was <em>started</em> at or after <paramref name="since"/> was acknowledged. (A write
    /// acknowledged just before a kill can be recorded a little after it on a busy machine; it does not count.)
    /// </summary>
    public Task<DateTimeOffset> FirstAcknowledgedAfterAsync(DateTimeOffset since, TimeSpan timeout) =>
        Eventually.ReturnsAsync(
            () => Task.FromResult(_acknowledged.Where(a => a.Started >= since).Select(a => a.At).DefaultIfEmpty(DateTimeOffset.MaxValue).Min()),
            at => at != DateTimeOffset.MaxValue, $"a write acknowledged after {since:HH:mm:ss.fff}", timeout);

    /// <summary>Waits until at least <paramref name="count"/> more writes have been acknowledged.</summary>
    public Task MoreAcknowledgedAsync(int count, TimeSpan timeout)
    {
        var target = _acknowledged.Count + count;
        return Eventually.TrueAsync(() => Task.FromResult(_acknowledged.Count >= target),
            $"{count} more acknowledged writes", timeout);
    }

    private async Task RunAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            var target = await SafeAsync(primary);
            if (target is null)
            {
                await Task.Delay(50);
                continue;
            }
            var id = Interlocked.Increment(ref _next);
            var started = DateTimeOffset.UtcNow;
            try
            {
                await using var connection = await target.Probe.OpenAsync(_stop.Token);
                await using var insert = new NpgsqlCommand($"INSERT INTO acked (id) VALUES ({id})", connection) { CommandTimeout = 3 };
                await insert.ExecuteNonQueryAsync(_stop.Token);
                _acknowledged.Enqueue((id, started, DateTimeOffset.UtcNow));
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                Indeterminate++;
            }
            catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.ReadOnlySqlTransaction)
            {
                Failed++;
                await Task.Delay(50);   // refused: certainly not committed
            }
            catch (Exception)
            {
                Failed++;
                Indeterminate++;        // may or may not have committed; never counted as acknowledged
                await Task.Delay(50);
            }
        }
    }

    private static async Task<T?> SafeAsync<T>(Func<Task<T?>> read) where T : class
    {
        try { return await read(); }
        catch (Exception) { return null; }
    }

    /// <summary>Stops writing; safe to call more than once.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_stop.IsCancellationRequested) return;
        await _stop.CancelAsync();
        if (_loop is not null) await _loop;
        log($"writer: {_acknowledged.Count} acknowledged, {Indeterminate} indeterminate");
    }
}
