using Appliance.Nodes.Backup;
using Appliance.Nodes.State;

namespace Appliance.Nodes.Postgres;

/// <summary>
/// Makes a new replica from the backup repository: reads what <see cref="ReplicaSource"/> decides on, restores the
/// chosen backup with <c>pgbackrest restore</c> into the empty data directory, and, once the caller has started it,
/// tells whether it streams from its upstream. Every step that fails says why, so that the caller falls back to
/// <c>pg_basebackup</c> with that reason in its log.
/// </summary>
internal static class RepositoryClone
{
    /// <summary>How long a started copy may replay nothing new, short of its upstream's position, before it counts as stuck.</summary>
    public static readonly TimeSpan StreamingStallLimit = TimeSpan.FromSeconds(30);

    /// <summary>Reads the repository's backups and the upstream's identity and WAL, and decides.</summary>
    /// <exception cref="UpstreamUnreachableException">The upstream did not answer (a <c>pg_basebackup</c> could not run either).</exception>
    public static async Task<ReplicaPlan> DecideAsync(DriverSettings settings, PeerId upstream, CancellationToken ct)
    {
        if (settings.Backup is not { } backup)
            return new ReplicaPlan(ReplicaSource.WithoutRepository, 0);
        var identity = await UpstreamIdentity.ReadAsync(upstream, settings.Credentials, settings.Timeouts.Connect, ct).ConfigureAwait(false);
        UpstreamWal wal;
        Lsn position;
        try
        {
            var probe = InstanceProbe.Of(upstream, settings.Credentials, settings.Timeouts.Connect);
            wal = await probe.ReadWalHeldAsync(ct).ConfigureAwait(false);
            position = (await probe.ReadStatusAsync(ct).ConfigureAwait(false)).Position;
        }
        catch (Exception e) when (e is Npgsql.NpgsqlException or System.Net.Sockets.SocketException or TimeoutException && !ct.IsCancellationRequested)
        {
            throw new UpstreamUnreachableException(upstream, e.Message, e);
        }
        BackupCatalog? catalog = null;
        string? unreadable = null;
        try
        {
            catalog = BackupCatalog.Parse(await new PgBackRest(backup, null, null).InfoJsonAsync(ct).ConfigureAwait(false));
        }
        catch (Exception e) when (e is PgBackRestException or FormatException)
        {
            unreadable = e.Message;
        }
        return new ReplicaPlan(ReplicaSource.Decide(catalog, unreadable, upstream.Id, identity.SystemIdentifier, wal, position), wal.SegmentSize);
    }

    /// <summary>
    /// Restores <paramref name="backup"/> into the empty <paramref name="target"/> as a standby with no
    /// <c>restore_command</c>, and places the backup's own WAL (its start to its stop segment) from the archive in
    /// pg_wal, so that the copy becomes consistent by itself and needs from its upstream only the WAL after the backup.
    /// Progress is pgBackRest's, scaled to the backup's size. Without <paramref name="segmentSize"/> no WAL is placed: a
    /// copy that reads the archive itself (a standby leader that follows one) fetches it.
    /// </summary>
    /// <returns>Null when restored; otherwise why not, with the partial copy removed (the directory is empty again).</returns>
    public static async Task<string?> RestoreAsync(DriverSettings settings, BackupEntry backup, ulong? segmentSize, DataDirectory target,
        IProgress<BaseBackupProgress>? progress, CancellationToken ct)
    {
        var runner = new PgBackRest(settings.Backup ?? throw new InvalidOperationException("No backup settings."), null, null);
        var existed = Directory.Exists(target.Path);
        var restored = false;
        try
        {
            Directory.CreateDirectory(target.Path);
            if (!OperatingSystem.IsWindows())
                File.SetUnixFileMode(target.Path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            PostgresOsUser.GiveToPostgres(target.Path);
            await runner.RestoreStandbyAsync(backup.Label, target.Path, line =>
            {
                if (BackupProgress.Percent(line) is { } percent)
                    progress?.Report(new BaseBackupProgress((long)(backup.Size * percent / 100), backup.Size));
            }, ct).ConfigureAwait(false);
            await RestoredRecoverySettings.StripFileAsync(target, ct).ConfigureAwait(false);
            File.Delete(target.File("recovery.signal"));
            await target.SetStandbySignalAsync(true, ct).ConfigureAwait(false);
            if (segmentSize is { } size)
                foreach (var segment in Segments(backup.WalStart!, backup.WalStop!, size))
                    await runner.ArchiveGetAsync(segment, target.Path, ct).ConfigureAwait(false);
            restored = true;
            return null;
        }
        catch (Exception e) when (e is PgBackRestException or IOException or UnauthorizedAccessException or PostgresDriverException)
        {
            return $"the restore of backup {backup.Label} failed: {e.Message}";
        }
        finally
        {
            if (!restored) BaseBackupCloner.RemovePartialCopy(target.Path, existed);
        }
    }

    /// <summary>The WAL segment names from <paramref name="first"/> to <paramref name="last"/> (one timeline), in order.</summary>
    public static IEnumerable<string> Segments(string first, string last, ulong segmentSize)
    {
        var perHigh = 0x1_0000_0000UL / segmentSize;
        var timeline = first[..8];
        for (var n = InstanceProbe.SegmentNumber(first, segmentSize); n <= InstanceProbe.SegmentNumber(last, segmentSize); n++)
            yield return $"{timeline}{n / perHigh:X8}{n % perHigh:X8}";
    }

    /// <summary>
    /// Waits until the started copy has replayed up to where its upstream was when the wait began, which only WAL
    /// streamed from the upstream can bring it to (it has no restore_command).
    /// </summary>
    /// <returns>Null once it has; otherwise why not: it replayed nothing new for <see cref="StreamingStallLimit"/>
    /// (the upstream no longer holds the WAL it asks for, or its timeline is not the upstream's), or the upstream stopped answering.</returns>
    public static async Task<string?> WhyNotStreamingAsync(InstanceProbe self, InstanceProbe upstream, CancellationToken ct)
    {
        Lsn target;
        try
        {
            target = (await upstream.ReadStatusAsync(ct).ConfigureAwait(false)).Position;
        }
        catch (Exception e) when (e is Npgsql.NpgsqlException or System.Net.Sockets.SocketException or TimeoutException && !ct.IsCancellationRequested)
        {
            return $"the upstream did not answer after the restore ({e.Message})";
        }
        Lsn? last = null;
        var since = DateTimeOffset.UtcNow;
        while (true)
        {
            var replayed = (await self.ReadStatusAsync(ct).ConfigureAwait(false)).ReplayedLsn ?? Lsn.Zero;
            if (replayed >= target) return null;
            if (last != replayed)
                (last, since) = (replayed, DateTimeOffset.UtcNow);
            else if (DateTimeOffset.UtcNow - since > StreamingStallLimit)
                return $"it replayed up to {replayed} and nothing more for {StreamingStallLimit.TotalSeconds:0} s, short of the upstream's " +
                       $"{target}: the upstream no longer holds the WAL after the backup, or streaming fails (see the server log)";
            await Task.Delay(TimeSpan.FromMilliseconds(200), ct).ConfigureAwait(false);
        }
    }
}
