using Appliance.Host.Node;

namespace Appliance.Host.Api;

/// <summary>Builds this node's <see cref="StatusDto"/>: the node actor's snapshot plus the lag behind the primary (live, else the last position the coordinator knows).</summary>
public sealed class NodeStatusReader(ClusterAccess access, PeerProber prober)
{
    /// <summary>How long a role check waits for the coordinator's last known primary position when the primary does not answer.</summary>
    public static readonly TimeSpan CoordinatorPatience = TimeSpan.FromSeconds(1);

    /// <summary>Reads the status now.</summary>
    public async Task<StatusDto> ReadAsync(CancellationToken ct)
    {
        var snapshot = await access.SnapshotAsync(ct);
        ulong? lag = null;
        if (snapshot.Status is { InRecovery: true } instance && snapshot.State is { } state && !state.Primary.Is(snapshot.Peer))
        {
            // The live primary first; while it is down, the last position it reported to the coordinator, so that
            // replicas stay in a read pool (/replica?lag=) instead of all failing the check at once.
            var primary = await prober.PrimaryPositionAsync(state.Primary, ct)
                          ?? (await access.CoordinatorStateAsync(CoordinatorPatience, ct) is { State: { } known, PrimaryWal: { } wal }
                              && known.Generation == state.Generation && known.Primary.Is(state.Primary) ? wal : null);
            lag = primary is { } p ? p - instance.Position : null;
        }
        int? postmaster = snapshot.Status is not null ? await access.PostmasterPidAsync(ct) : null;
        var status = RoleChecks.Status(snapshot, lag, Environment.ProcessId, postmaster, access.Options.Tags);
        return status with { Backups = BackupStateDto.From(await access.BackupReportAsync(ct), DateTimeOffset.UtcNow) };
    }
}
