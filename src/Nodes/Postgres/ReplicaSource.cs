using Appliance.Nodes.Backup;
using Appliance.Nodes.State;

namespace Appliance.Nodes.Postgres;

/// <summary>
/// Whether a new replica of <c>upstream</c> can be restored from the backup repository instead of copied from the
/// upstream with <c>pg_basebackup</c>, and why (issue 17, as Patroni's <c>create_replica_methods</c>): the primary
/// then does not pay for a full copy of a large database.
/// </summary>
/// <remarks>
/// A restored replica needs its backup's own WAL (start to stop), which the restore fetches from the archive once, and
/// everything after it <b>by streaming from the upstream</b>: standbys never read the archive (docs/ARCHITECTURE.md §14,
/// "Not done here"). So the backup must be of the upstream's cluster, and the upstream must still hold the WAL segment
/// the backup stopped in; otherwise the restored replica could never catch up, and <c>pg_basebackup</c> is the way.
/// </remarks>
internal static class ReplicaSource
{
    /// <summary>The answer for a node started without <c>--backup-repo</c>.</summary>
    public static CloneMethod WithoutRepository { get; } = new CloneMethod.BaseBackup("this node has no backup repository (--backup-repo)");

    /// <summary>Decides for a node with a repository; every input is what the node read just before.</summary>
    /// <param name="catalog">The repository's backups; null when it could not be read.</param>
    /// <param name="unreadable">Why the repository could not be read, when <paramref name="catalog"/> is null.</param>
    /// <param name="upstream">The upstream's id, for the reasons.</param>
    /// <param name="upstreamSystemId">The upstream cluster's system identifier.</param>
    /// <param name="upstreamWal">What WAL the upstream still holds.</param>
    /// <param name="upstreamPosition">How far the upstream's WAL goes (a primary's current position, a standby's received or replayed one).</param>
    public static CloneMethod Decide(BackupCatalog? catalog, string? unreadable, string upstream, ulong upstreamSystemId, UpstreamWal upstreamWal,
        Lsn upstreamPosition)
    {
        if (catalog is null)
            return new CloneMethod.BaseBackup($"the backup repository could not be read ({unreadable ?? "no reason given"})");
        if (catalog.Backups.Count == 0)
            return new CloneMethod.BaseBackup($"the backup repository holds no backup yet ({catalog.Status})");
        var usable = catalog.Backups
            .Where(b => !b.Error && b.LsnStop is not null && Lsn.TryParse(b.LsnStop, out _) && b.WalStart is { Length: 24 } && b.WalStop is { Length: 24 })
            .ToList();
        if (usable.Count == 0)
            return new CloneMethod.BaseBackup("no backup in the repository is whole (each has checksum errors or no WAL range)");
        var ours = usable.Where(b => b.SystemId == upstreamSystemId).ToList();
        if (ours.Count == 0)
        {
            var theirs = string.Join(", ", usable.Select(b => b.SystemId?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "unknown").Distinct());
            return new CloneMethod.BaseBackup(
                $"the repository's backups are of system {theirs}, not of upstream {upstream}'s {upstreamSystemId} (another cluster's stanza)");
        }
        // The newest: least WAL to stream, and the most likely to be still held upstream.
        var newest = ours.MaxBy(b => Lsn.Parse(b.LsnStop!))!;
        var stop = Lsn.Parse(newest.LsnStop!);
        if (!upstreamWal.HoldsSegmentOf(stop))
            return new CloneMethod.BaseBackup(
                $"backup {newest.Label} stops at {stop}, but upstream {upstream} keeps WAL only from {upstreamWal.Begins} on, and " +
                "a standby never reads the archive, so the restored copy could not catch up");
        if (OffHistory(newest, upstreamWal) is { } off)
            return new CloneMethod.BaseBackup($"backup {newest.Label} {off} of upstream {upstream}");
        if (SegmentEnd(newest, upstreamWal.SegmentSize) is var end && upstreamPosition < end)
            return new CloneMethod.BaseBackup(
                $"upstream {upstream} is at {upstreamPosition}, short of {end}, where backup {newest.Label}'s last WAL segment ends: the archived " +
                "segment may hold WAL the upstream never had (a deposed primary's), which the copy would replay");
        return new CloneMethod.FromRepository(newest,
            $"backup {newest.Label} ({newest.Type}, stopped at {stop}, {newest.Stop:yyyy-MM-dd HH:mm:ss}Z) is of this cluster " +
            $"and upstream {upstream} still holds the WAL after it");
    }

    /// <summary>Where the backup's last WAL segment ends: the restore places it whole.</summary>
    private static Lsn SegmentEnd(BackupEntry backup, ulong segmentSize) =>
        new((InstanceProbe.SegmentNumber(backup.WalStop!, segmentSize) + 1) * segmentSize);

    /// <summary>
    /// The restore places the backup's WAL segments from the archive in pg_wal whole, so they must be WAL of the
    /// upstream's history to their end: a timeline the upstream's history left inside the last of them would hold
    /// WAL past the fork (a deposed primary's, never acknowledged), which the copy would replay before streaming.
    /// </summary>
    private static string? OffHistory(BackupEntry backup, UpstreamWal upstreamWal)
    {
        if (upstreamWal.History is not { } history) return null;   // unknown: the streaming check after the start decides
        var timeline = int.Parse(backup.WalStop![..8], System.Globalization.NumberStyles.HexNumber, System.Globalization.CultureInfo.InvariantCulture);
        if (timeline == history.Timeline) return null;
        var end = SegmentEnd(backup, upstreamWal.SegmentSize);
        return history.Past.FirstOrDefault(s => s.Timeline == timeline) switch
        {
            { Timeline: 0 } => $"is on timeline {timeline}, which is not on the history {history}",
            var left when left.SwitchPoint < end =>
                $"is on timeline {timeline}, which the history {history} leaves at {left.SwitchPoint}, inside the backup's last WAL segment",
            _ => null,
        };
    }
}
