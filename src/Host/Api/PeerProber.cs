using Appliance.Nodes.Postgres;
using Appliance.Nodes.State;

namespace Appliance.Host.Api;

/// <summary>Reads every peer's PostgreSQL over SQL (status and walsenders) for <c>/cluster</c>, <c>/status</c> lag and <c>verify</c>.</summary>
public sealed class PeerProber(ClusterCredentials credentials)
{
    /// <summary>How long one peer may take to answer.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(2);

    private readonly Lock _gate = new();
    private (DateTime At, string Primary, Lsn? Position) _primaryCache;

    /// <summary>The primary's current WAL position, cached for half a second (load balancers poll often); null if it does not answer.</summary>
    public async Task<Lsn?> PrimaryPositionAsync(PeerId primary, CancellationToken ct)
    {
        lock (_gate)
            if (_primaryCache.Primary == primary.ToString() && DateTime.UtcNow - _primaryCache.At < TimeSpan.FromMilliseconds(500))
                return _primaryCache.Position;
        Lsn? position = null;
        try
        {
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
            cts.CancelAfter(Timeout);
            var status = await InstanceProbe.Of(primary, credentials, Timeout).ReadStatusAsync(cts.Token).ConfigureAwait(false);
            if (!status.InRecovery) position = status.CurrentLsn;
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            position = null;
        }
        lock (_gate) _primaryCache = (DateTime.UtcNow, primary.ToString(), position);
        return position;
    }

    /// <summary>Every peer the state names, probed in parallel.</summary>
    public async Task<IReadOnlyList<PeerViewDto>> ProbeAsync(ClusterState state, CancellationToken ct)
    {
        var peers = state.NamedPeers.ToList();
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
                [.. downstreams.Select(d => new DownstreamDto(d.ApplicationName, d.State, d.SyncState, d.FlushLsn?.ToString(), d.ReplayLsn?.ToString(), d.LagBytes))]);
        })];
    }

    private async Task<(InstanceStatus? Status, IReadOnlyList<DownstreamStatus> Downstreams, string? Error)> ReadAsync(PeerId peer, CancellationToken ct)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(Timeout);
        var probe = InstanceProbe.Of(peer, credentials, Timeout);
        try
        {
            var status = await probe.ReadStatusAsync(cts.Token).ConfigureAwait(false);
            var downstreams = await probe.ReadDownstreamsAsync(cts.Token).ConfigureAwait(false);
            return (status, downstreams, null);
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            return (null, [], e is OperationCanceledException ? $"no answer within {Timeout.TotalSeconds:0} s" : e.Message);
        }
    }
}
