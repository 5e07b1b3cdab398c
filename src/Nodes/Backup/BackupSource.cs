using Appliance.Nodes.State;

namespace Appliance.Nodes.Backup;

/// <summary>
/// The pure rule that picks the node a backup runs on. A backup reads every file of the instance it runs on, so by
/// default it runs on a standby: the last async first (the one whose slowness no commit waits for, and that feeds
/// no one), then the sync (which the primary's commits do wait for, so it is only the second choice), and the primary
/// only when no standby can serve, saying why.
/// </summary>
public static class BackupSource
{
    /// <summary>Why no standby can take a backup in a cluster without TLS (the <c>standbyUnavailable</c> of <see cref="Choose"/>).</summary>
    public const string NoTls =
        "TLS is not configured (--tls-cert, --tls-key, --tls-ca), and a backup from a standby reaches the primary only through pgBackRest's TLS server";

    /// <summary>Picks the peer that runs a backup.</summary>
    /// <param name="state">The newest cluster state.</param>
    /// <param name="from">What the operator asked for.</param>
    /// <param name="standbyUnavailable">
    /// Why no standby can take a backup in this cluster (e.g. TLS is not configured, so pgBackRest cannot reach the
    /// primary from a standby); null when standbys can.
    /// </param>
    public static BackupPlacement Choose(ClusterState state, BackupFrom from, string? standbyUnavailable)
    {
        if (from == BackupFrom.Primary)
            return new BackupPlacement(state.Primary, false, $"{state.Primary.Id} is the primary, as asked (--from primary)");
        var candidates = state.Async.Reverse()
            .Select(p => (Peer: p, Why: "the last async, so that neither the primary nor the sync reads the files"))
            .Concat(state.Sync is { } sync ? [(sync, "the sync: there is no async, and the primary does not read the files")] : [])
            .Where(c => !state.InMaintenance(c.Peer.Id) && !state.Primary.Is(c.Peer))
            .ToList();
        if (standbyUnavailable is not null)
            return from == BackupFrom.Standby
                ? new BackupPlacement(null, false, $"no standby can take a backup: {standbyUnavailable}")
                : new BackupPlacement(state.Primary, false, $"from the primary {state.Primary.Id}: {standbyUnavailable}");
        if (candidates.Count == 0)
            return from == BackupFrom.Standby
                ? new BackupPlacement(null, false, "there is no standby in the cluster state (or every one is in maintenance)")
                : new BackupPlacement(state.Primary, false, $"from the primary {state.Primary.Id}: there is no standby in the cluster state (or every one is in maintenance)");
        var (peer, why) = candidates[0];
        return new BackupPlacement(peer, true, $"from the standby {peer.Id}, {why}");
    }
}
