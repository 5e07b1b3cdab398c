using System.Collections.Concurrent;
using Appliance.Host.Api.Json;
using Appliance.Nodes.Postgres;
using Appliance.Nodes.State;

namespace Appliance.Host.Api;

/// <summary>Reads every peer's PostgreSQL over SQL (status and walsenders) for <c>/cluster</c>, <c>/status</c> lag and <c>verify</c>.</summary>
/// <remarks>
/// These endpoints are open to load balancers and dashboards. So a peer is read at most once per
/// <see cref="Freshness"/>: every request in that window, and every request that arrives while a read is in flight,
/// shares that one read. However many requests come in, each peer sees at most one connection from this node at a
/// time, and <c>max_connections</c> is never at risk. The reads of one peer share a monitoring session kept for
/// <see cref="SessionAge"/> (<see cref="PeerSession"/>): a fresh login forks a backend and runs SCRAM's key derivation
/// on both sides, which cost the peer more CPU than the read itself when the API was polled (BENCHMARKS §4p).
/// </remarks>
/// <param name="credentials">The cluster's credentials.</param>
/// <param name="sessionAge">How long one monitoring session to a peer serves; <see cref="SessionAge"/> when null.</param>
public sealed class PeerProber(ClusterCredentials credentials, TimeSpan? sessionAge = null) : IAsyncDisposable
{
    /// <summary>How long one peer may take to answer.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(2);

    /// <summary>How long one read of a peer serves every request.</summary>
    public static readonly TimeSpan Freshness = TimeSpan.FromMilliseconds(500);

    /// <summary>How long one monitoring session to a peer serves its reads (as the node's own status session).</summary>
    public static readonly TimeSpan SessionAge = TimeSpan.FromSeconds(10);

    private readonly ConcurrentDictionary<PeerId, Lazy<Task<TimedRead>>> _reads = new();
    private readonly ConcurrentDictionary<PeerId, PeerSession> _sessions = new();

    /// <summary>The primary's current WAL position; null if it does not answer or is not a primary.</summary>
    public async Task<Lsn?> PrimaryPositionAsync(PeerId primary, CancellationToken ct)
    {
        var read = await ReadAsync(primary, ct).ConfigureAwait(false);
        return read.Status is { InRecovery: false } status ? status.CurrentLsn : null;
    }

    /// <summary>Every peer the state names, probed in parallel.</summary>
    public async Task<IReadOnlyList<PeerViewDto>> ProbeAsync(ClusterState state, CancellationToken ct)
    {
        var peers = state.NamedPeers.ToList();
        await ForgetAllButAsync(peers).ConfigureAwait(false);
        var reads = await Task.WhenAll(peers.Select(p => ReadAsync(p, ct))).ConfigureAwait(false);
        var primaryPosition = reads[0].Status is { InRecovery: false } ps ? ps.CurrentLsn : null;
        return [.. peers.Select((p, i) =>
        {
            var (status, downstreams, error) = reads[i];
            var assignment = state.RoleOf(p.Id);
            ulong? lag = status is null ? null
                : !status.InRecovery ? 0
                : primaryPosition is { } pp ? pp - status.Position : null;
            return new PeerViewDto(p.Id, p.Host, p.Port, ApiJson.Name(assignment.Role), assignment.Upstream?.Id,
                status is not null, error, status?.ReadWrite ?? false, status?.InRecovery ?? false, status?.Timeline,
                status?.Position.ToString(), lag,
                [.. downstreams.Select(d => new DownstreamDto(d.ApplicationName, d.State, d.SyncState, d.FlushLsn?.ToString(), d.ReplayLsn?.ToString(), d.LagBytes))],
                status?.PendingRestart ?? [], status?.Commits);
        })];
    }

    /// <summary>The newest read of <paramref name="peer"/>: a fresh one, the one in flight, or a new one.</summary>
    private async Task<PeerRead> ReadAsync(PeerId peer, CancellationToken ct)
    {
        while (true)
        {
            var entry = _reads.GetOrAdd(peer, p => new Lazy<Task<TimedRead>>(() => ReadOnceAsync(p)));
            var read = await entry.Value.WaitAsync(ct).ConfigureAwait(false);
            if (Environment.TickCount64 - read.AtMs < (long)Freshness.TotalMilliseconds) return read.Read;
            // Stale: let one caller replace it (the others find the replacement on their next pass).
            _reads.TryRemove(new KeyValuePair<PeerId, Lazy<Task<TimedRead>>>(peer, entry));
        }
    }

    // Not tied to any one request's token: the read is shared, and one caller giving up must not fail the others.
    private async Task<TimedRead> ReadOnceAsync(PeerId peer)
    {
        using var cts = new CancellationTokenSource(Timeout);
        var session = _sessions.GetOrAdd(peer, p => new PeerSession(InstanceProbe.Of(p, credentials, Timeout), sessionAge ?? SessionAge));
        try
        {
            var (status, downstreams) = await session.ReadAsync(cts.Token).ConfigureAwait(false);
            return new TimedRead(Environment.TickCount64, new PeerRead(status, downstreams, null));
        }
        catch (Exception e)
        {
            var error = e is OperationCanceledException ? $"no answer within {Timeout.TotalSeconds:0} s" : e.Message;
            return new TimedRead(Environment.TickCount64, new PeerRead(null, [], error));
        }
    }

    /// <summary>Closes the session of every peer that is not in <paramref name="peers"/> (one the state no longer names).</summary>
    private async Task ForgetAllButAsync(IReadOnlyCollection<PeerId> peers)
    {
        foreach (var gone in _sessions.Keys.Except(peers).ToList())
            if (_sessions.TryRemove(gone, out var session)) await session.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>Closes every kept session.</summary>
    public async ValueTask DisposeAsync()
    {
        foreach (var peer in _sessions.Keys.ToList())
            if (_sessions.TryRemove(peer, out var session)) await session.DisposeAsync().ConfigureAwait(false);
    }

    private sealed record PeerRead(InstanceStatus? Status, IReadOnlyList<DownstreamStatus> Downstreams, string? Error);

    // A monotonic clock: a wall-clock step must not make a read look fresh for hours.
    private sealed record TimedRead(long AtMs, PeerRead Read);
}
