using System.Collections.Concurrent;

namespace Appliance.Chaos;

/// <summary>
/// Asks every node's <c>GET /primary</c> every 150 ms, all nodes at once, and records each answer as a
/// <see cref="WritableSample"/> (200 = writable somewhere between sending and hearing back; anything else, a time-out
/// included, breaks the run). The newest node that answered 200 is where the following clients write.
/// </summary>
public sealed class PrimaryPoller(ChaosCluster cluster) : IAsyncDisposable
{
    private readonly ConcurrentQueue<WritableSample> _samples = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(1) };
    private Task? _loop;
    private volatile ChaosNode? _current;
    private int _disposed;

    /// <summary>The node that answered 200 most recently, or null if the last round found none.</summary>
    public ChaosNode? CurrentPrimary => _current;

    /// <summary>Every sample so far.</summary>
    public IReadOnlyList<WritableSample> Samples => [.. _samples];

    /// <summary>Starts polling.</summary>
    public void Start() => _loop = Task.Run(() => LoopAsync(_stop.Token));

    private async Task LoopAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            var round = await Task.WhenAll(cluster.Nodes.Select(PollAsync));
            var writable = round.Where(s => s.Writable).ToList();
            _current = writable.Count == 1 ? cluster.Nodes.First(n => n.Name == writable[0].Node) : writable.Count == 0 ? null : _current;
            try { await Task.Delay(150, ct); } catch (OperationCanceledException) { }
        }
    }

    private async Task<WritableSample> PollAsync(ChaosNode n)
    {
        var start = cluster.History.Now;
        var ok = false;
        try
        {
            using var r = await _http.GetAsync(n.Url + "/primary");
            ok = (int)r.StatusCode == 200;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException) { }
        var sample = new WritableSample($"poller/{n.Name}", n.Name, start, cluster.History.Now, ok);
        _samples.Enqueue(sample);
        return sample;
    }

    /// <summary>Stops polling.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1) return;
        await _stop.CancelAsync();
        if (_loop is not null) await _loop;
        _http.Dispose();
        _stop.Dispose();
    }
}
