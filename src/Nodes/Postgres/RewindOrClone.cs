using Appliance.Nodes.State;

namespace Appliance.Nodes.Postgres;

/// <summary>
/// Puts a stopped, deposed instance back onto the history of its new upstream: <c>pg_rewind</c> first (cheap:
/// only changed blocks move), a fresh clone when that fails. Its divergent tail, if any, is discarded; that is
/// the point, since those transactions were never acknowledged.
/// </summary>
internal static class RewindOrClone
{
    // pg_rewind copies these from the source; they are this instance's own (the operator's settings, and access
    // rules that the driver rewrites anyway), so they are put back afterwards.
    private static readonly string[] OwnConfigFiles = ["postgresql.conf", "postgresql.auto.conf", "pg_hba.conf", "pg_ident.conf"];

    /// <summary>Rewinds (or failing that re-clones) <paramref name="dataDirectory"/> onto <paramref name="upstream"/>.</summary>
    /// <exception cref="ForeignDataDirectoryException">The directory belongs to another cluster; it was not touched.</exception>
    /// <exception cref="UpstreamUnreachableException">The upstream did not answer; nothing was changed.</exception>
    /// <exception cref="InstanceAlreadyRunningException">PostgreSQL still runs on the directory.</exception>
    public static async Task<RejoinOutcome> RunAsync(PostgresBinaries binaries, DriverSettings settings, DataDirectory dataDirectory,
        PeerId upstream, IProgress<BaseBackupProgress>? progress, CancellationToken ct)
    {
        dataDirectory.RequireClusterOf(binaries);
        dataDirectory.ClearStalePidFile();
        var identity = await UpstreamIdentity.ReadAsync(upstream, settings.Credentials, settings.Timeouts.Connect, ct).ConfigureAwait(false);
        identity.RequireMajorVersion(binaries, upstream);
        var local = await dataDirectory.ReadControlDataAsync(binaries, ct).ConfigureAwait(false);
        identity.RequireSameCluster(dataDirectory.Path, local.SystemIdentifier, upstream);
        // An attempt that already rewound may have moved pg_control onto the upstream's timeline; what must be behind
        // the upstream is the timeline this instance diverged on.
        var marker = RejoinMarker.For(dataDirectory);
        var former = marker.FormerTimeline ?? local.CheckpointTimeline;
        if (marker.IsPending)
            await RequireUpstreamAheadAsync(settings, upstream, former, ct).ConfigureAwait(false);   // it may be half rewound
        else if (await CompareAsync(binaries, settings, dataDirectory, upstream, ct).ConfigureAwait(false) is { } standing)
        {
            if (standing.UpstreamBehind)
                throw new UpstreamNotAheadException(upstream, standing.Upstream.Timeline, standing.Local.History.Timeline);
            if (!standing.Forked)
            {
                await dataDirectory.SetStandbySignalAsync(true, ct).ConfigureAwait(false);
                return new RejoinOutcome(RejoinMethod.AlreadyOnHistory, null);
            }
        }
        else
            await RequireUpstreamAheadAsync(settings, upstream, former, ct).ConfigureAwait(false);
        await marker.BeginAsync(former, ct).ConfigureAwait(false);

        var saved = new Dictionary<string, byte[]>();
        foreach (var name in OwnConfigFiles)
            if (File.Exists(dataDirectory.File(name)))
                saved[name] = await File.ReadAllBytesAsync(dataDirectory.File(name), ct).ConfigureAwait(false);

        var sourceLag = await WaitForSourceControlFileAsync(settings, upstream, ct).ConfigureAwait(false);
        if (sourceLag is not null)
        {
            await CloneInPlaceAsync(binaries, settings, dataDirectory, upstream, progress, ct).ConfigureAwait(false);
            return new RejoinOutcome(RejoinMethod.Cloned, sourceLag);
        }

        // pg_rewind may first run crash recovery in single-user mode, which cannot run as a standby.
        await dataDirectory.SetStandbySignalAsync(false, ct).ConfigureAwait(false);
        var source = ConnInfo.For(upstream.Host, upstream.Port, ClusterCredentials.Superuser, password: null, database: "postgres",
            tls: settings.Credentials.Tls);
        var rewind = await PostgresCommand.RunAsync(binaries.Rewind,
            ["--target-pgdata", dataDirectory.Path, "--source-server", source.Render()],
            new Dictionary<string, string> { ["PGPASSWORD"] = settings.Credentials.SuperuserPassword }, null, ct).ConfigureAwait(false);

        if (rewind.ExitCode == 0 && CrashRecoveryWroteWalAndNothingWasRewound(rewind.Output))
        {
            // pg_rewind's crash recovery in single-user mode ends with a shutdown checkpoint (and, when the WAL ended
            // inside a record, an overwrite-contrecord record) written on the target's own timeline, at the end of its
            // WAL. When it then finds nothing to rewind (the target was behind the upstream's switch), that tail stays:
            // WAL the upstream's history does not hold, at positions the upstream's WAL fills differently. Streamed over
            // later, it left a standby whose control file named a checkpoint inside a record (long run 11, finding 11),
            // and replay would skip the records it overlaid. A copy is the only clean way back.
            await CloneInPlaceAsync(binaries, settings, dataDirectory, upstream, progress, ct).ConfigureAwait(false);
            return new RejoinOutcome(RejoinMethod.Cloned,
                "pg_rewind ran crash recovery, which wrote WAL on this instance's own timeline, and then found nothing to rewind it away");
        }
        if (rewind.ExitCode == 0)
        {
            foreach (var (name, bytes) in saved)
                await dataDirectory.WriteFileAsync(name, System.Text.Encoding.UTF8.GetString(bytes), ct).ConfigureAwait(false);
            return new RejoinOutcome(RejoinMethod.Rewound, null);
        }

        var failure = string.Join('\n', rewind.Output.TakeLast(5));
        await CloneInPlaceAsync(binaries, settings, dataDirectory, upstream, progress, ct).ConfigureAwait(false);
        return new RejoinOutcome(RejoinMethod.Cloned, failure);
    }

    /// <summary>
    /// Whether pg_rewind's output says it ran the target's crash recovery (which writes WAL on the target's timeline)
    /// and then found no rewind required (which leaves that WAL in place).
    /// </summary>
    internal static bool CrashRecoveryWroteWalAndNothingWasRewound(IReadOnlyList<string> output) =>
        output.Any(l => l.Contains("for target server to complete crash recovery", StringComparison.Ordinal)) &&
        output.Any(l => l.Contains("no rewind required", StringComparison.Ordinal));

    /// <summary>
    /// How this stopped instance's WAL stands against <paramref name="upstream"/>'s history; null when either is unknown
    /// (no history file, or the end of the local WAL could not be found).
    /// </summary>
    public static async Task<HistoryComparison?> CompareAsync(PostgresBinaries binaries, DriverSettings settings, DataDirectory dataDirectory,
        PeerId upstream, CancellationToken ct)
    {
        var local = await LocalWal.ReadAsync(binaries, dataDirectory, ct).ConfigureAwait(false);
        if (local is null) return null;
        var status = await InstanceProbe.Of(upstream, settings.Credentials, settings.Timeouts.Connect).ReadStatusAsync(ct).ConfigureAwait(false);
        return status.History is { } history ? new HistoryComparison(local, history, status.Position) : null;
    }

    /// <summary>
    /// pg_rewind takes the source's timeline from its pg_control, which only a checkpoint (on a standby, a
    /// restartpoint) updates. Right after a promotion it still names the old timeline, and pg_rewind would then
    /// find "no rewind required" and leave the divergent tail in place. So: checkpoint the source until its
    /// pg_control shows the timeline it really is on.
    /// </summary>
    /// <returns>Null when the source is ready; otherwise why it is not (then the caller clones instead).</returns>
    private static async Task<string?> WaitForSourceControlFileAsync(DriverSettings settings, PeerId upstream, CancellationToken ct)
    {
        var probe = InstanceProbe.Of(upstream, settings.Credentials, settings.Timeouts.Connect);
        var deadline = DateTimeOffset.UtcNow + SourceCheckpointTimeout;
        while (true)
        {
            var live = (await probe.ReadStatusAsync(ct).ConfigureAwait(false)).Timeline;
            await using (var connection = await probe.OpenAsync(ct).ConfigureAwait(false))
            {
                await using (var checkpoint = new Npgsql.NpgsqlCommand("CHECKPOINT", connection))
                    await checkpoint.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
                await using var read = new Npgsql.NpgsqlCommand("SELECT timeline_id FROM pg_control_checkpoint()", connection);
                var control = (int)(await read.ExecuteScalarAsync(ct).ConfigureAwait(false))!;
                if (control >= live) return null;
                if (DateTimeOffset.UtcNow > deadline)
                    return $"upstream {upstream} is on timeline {live} but its pg_control still says {control} " +
                           $"after {SourceCheckpointTimeout.TotalSeconds:0} s of checkpoints, so pg_rewind could not see the divergence";
            }
            await Task.Delay(TimeSpan.FromMilliseconds(200), ct).ConfigureAwait(false);
        }
    }

    private static readonly TimeSpan SourceCheckpointTimeout = TimeSpan.FromSeconds(20);

    /// <summary>
    /// A former primary can only follow a history that forked from its own, which is on a newer timeline. An upstream
    /// on this instance's timeline or an older one has not been promoted yet (the deposed peer learnt of the new state
    /// before its successor finished promoting); rewinding against it would find "no rewind required" and keep the
    /// divergent tail. Nothing is changed; the caller retries.
    /// </summary>
    private static async Task RequireUpstreamAheadAsync(DriverSettings settings, PeerId upstream, int formerTimeline, CancellationToken ct)
    {
        var probe = InstanceProbe.Of(upstream, settings.Credentials, settings.Timeouts.Connect);
        var live = (await probe.ReadStatusAsync(ct).ConfigureAwait(false)).Timeline;
        if (live <= formerTimeline)
            throw new UpstreamNotAheadException(upstream, live, formerTimeline);
    }

    /// <summary>
    /// Clones beside the old directory and swaps only when the clone is complete, so a failed clone leaves the
    /// old data where it was.
    /// </summary>
    private static async Task CloneInPlaceAsync(PostgresBinaries binaries, DriverSettings settings, DataDirectory dataDirectory,
        PeerId upstream, IProgress<BaseBackupProgress>? progress, CancellationToken ct)
    {
        var fresh = await CloneBesideAsync(binaries, settings, dataDirectory, ".appliance-clone", upstream, progress, ct).ConfigureAwait(false);
        ReplaceWith(dataDirectory, fresh);
    }

    /// <summary>
    /// Clones <paramref name="upstream"/> into a directory beside <paramref name="dataDirectory"/> (its path with
    /// <paramref name="suffix"/>), which the instance may go on using meanwhile; a leftover of an interrupted attempt is removed first.
    /// </summary>
    internal static async Task<DataDirectory> CloneBesideAsync(PostgresBinaries binaries, DriverSettings settings, DataDirectory dataDirectory,
        string suffix, PeerId upstream, IProgress<BaseBackupProgress>? progress, CancellationToken ct)
    {
        var fresh = new DataDirectory(dataDirectory.Path.TrimEnd('/') + suffix);
        BaseBackupCloner.RemovePartialCopy(fresh.Path, keepDirectory: false);
        await BaseBackupCloner.CloneAsync(binaries, settings, upstream, fresh, progress, ct).ConfigureAwait(false);
        return fresh;
    }

    /// <summary>Replaces a stopped instance's data with a complete clone made by <see cref="CloneBesideAsync"/>.</summary>
    internal static void ReplaceWith(DataDirectory dataDirectory, DataDirectory fresh)
    {
        Directory.Delete(dataDirectory.Path, recursive: true);
        Directory.Move(fresh.Path, dataDirectory.Path);
    }
}
