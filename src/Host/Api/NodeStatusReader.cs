using Appliance.Host.Node;
using Appliance.Nodes.State;

namespace Appliance.Host.Api;

/// <summary>Builds this node's <see cref="StatusDto"/>: the node actor's snapshot plus the lag behind the primary.</summary>
public sealed class NodeStatusReader(ClusterAccess access, PeerProber prober)
{
    /// <summary>Reads the status now.</summary>
    public async Task<StatusDto> ReadAsync(CancellationToken ct)
    {
        var snapshot = await access.SnapshotAsync(ct);
        ulong? lag = null;
        if (snapshot.Status is { InRecovery: true } status && snapshot.State is { } state && !state.Primary.Is(snapshot.Peer))
            lag = await prober.PrimaryPositionAsync(state.Primary, ct) is { } primary ? primary - status.Position : null;
        int? postmaster = snapshot.Status is not null ? await access.PostmasterPidAsync(ct) : null;
        return RoleChecks.Status(snapshot, lag, Environment.ProcessId, postmaster, access.Options.Tags);
    }
}
