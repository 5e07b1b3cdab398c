using Appliance.Nodes.State;
using Npgsql;

namespace Appliance.Nodes.Postgres;

public sealed partial class PostgresDriver
{
    /// <summary>
    /// Makes this instance the leader of a standby cluster: a standby of <paramref name="source"/>'s writable primary
    /// (<see cref="StandbyLeaderConfig.Role"/>), naming <paramref name="downstream"/> as a standby does. An empty data
    /// directory is cloned from the source's primary first (or restored from the newest backup, when the source is an
    /// archive); a running standby is re-pointed by a reload. A stopped leader that has forked off the source primary's
    /// later timeline is rewound onto it first, and one whose rewind was interrupted is replaced by a fresh copy.
    /// </summary>
    /// <exception cref="InvalidRoleTransitionException">It runs as a primary, or its data directory was last a primary's:
    /// a standby leader never takes writes, and turning a primary into one would hide writes the source lacks.</exception>
    /// <exception cref="UpstreamUnreachableException">No host of the source takes writes, when it must clone (an empty
    /// directory, or an interrupted rewind); nothing was changed.</exception>
    /// <exception cref="UpstreamNotAheadException">A rewind onto the source's primary was refused by pg_rewind's
    /// checks and could not be replaced by a clone; the data directory is as it was.</exception>
    /// <exception cref="PgBackRestException">The source's archive holds no backup or its restore
    /// failed (only when it must restore); the data directory is empty again.</exception>
    public Task FollowSourceAsync(StandbySource source, PeerId? downstream, IProgress<BaseBackupProgress>? progress, CancellationToken ct) =>
        Serialised(async () =>
        {
            var role = StandbyLeaderConfig.Role(Settings, source, downstream);
            // Its restore_command reads this file; written first, as a reload or a start may fetch WAL at once.
            if (source.Repository is { } archive) await SourceArchive.WriteConfigAsync(Settings, archive, ct).ConfigureAwait(false);
            if (IsRunning)
            {
                var status = await Probe.ReadStatusAsync(ct).ConfigureAwait(false);
                if (!status.InRecovery)
                    throw new InvalidRoleTransitionException(
                        $"{Settings.Self} runs as a primary, so it cannot lead a standby cluster that follows {source}.");
                await ReloadLockedAsync(role, ct).ConfigureAwait(false);
                return true;
            }
            switch (DataDirectory.Kind)
            {
                case DataDirectoryKind.Empty when source.Repository is { } repository:
                    await SourceArchive.RestoreNewestAsync(Settings, repository, DataDirectory, progress, Log, ct).ConfigureAwait(false);
                    break;
                case DataDirectoryKind.Empty:
                    var primary = await SourcePrimaryAsync(source, ct).ConfigureAwait(false);
                    await BaseBackupCloner.CloneAsync(Binaries, Settings, primary, DataDirectory, progress, ct).ConfigureAwait(false);
                    break;
                case DataDirectoryKind.Other:
                    throw new DataDirectoryNotEmptyException(DataDirectory.Path, "files, but no PostgreSQL cluster");
                default:
                    DataDirectory.RequireClusterOf(Binaries);
                    if (source.Repository is null && RejoinMarker.For(DataDirectory).IsPending)
                    {
                        await ReplaceInterruptedRewindAsync(source, progress, ct).ConfigureAwait(false);
                        break;
                    }
                    if (!DataDirectory.HasStandbySignal)
                        throw new InvalidRoleTransitionException(
                            $"{Settings.Self}'s data directory was last a primary's; it cannot lead a standby cluster that follows {source}. " +
                            "Move it away to clone afresh from the source.");
                    // Stopped while forked off the source's newer timeline (it streamed a lost source primary's WAL past
                    // the fork), it may not even start: PostgreSQL refuses a recovery target timeline that is not a child
                    // of its own history. Compared and rewound first, as a standby of this cluster is (FollowLockedAsync).
                    if (source.Repository is null) await RewindIfForkedOffSourceAsync(source, progress, ct).ConfigureAwait(false);
                    break;
            }
            await StartLockedAsync(role, standby: true, ct).ConfigureAwait(false);
            RejoinMarker.For(DataDirectory).Complete();   // only once it runs on the source's history
            return true;
        }, ct);

    /// <summary>Rewinds a stopped leader forked off the source primary's history; nothing when the source cannot be reached.</summary>
    private async Task RewindIfForkedOffSourceAsync(StandbySource source, IProgress<BaseBackupProgress>? progress, CancellationToken ct)
    {
        PeerId primary;
        try
        {
            primary = await SourcePrimaryAsync(source, ct).ConfigureAwait(false);
        }
        catch (UpstreamUnreachableException)
        {
            return;   // it starts as it is, and its stall check compares it once the source answers
        }
        // Says so in the server log when it rewinds, or why not.
        await RewindIfForkedAsync(primary, progress, ct, onlyOntoLaterTimeline: true).ConfigureAwait(false);
    }

    /// <summary>
    /// A leader whose rewind onto the source was interrupted (its rejoin marker is pending, and pg_rewind has taken away
    /// its standby.signal) is replaced by a fresh copy of the source's primary: a second pg_rewind over a half-rewound
    /// directory can leave WAL recovery cannot read. The copy is made beside it, so its data stays until the copy is
    /// whole; if the source cannot be reached, that fails and the role tries again.
    /// </summary>
    private async Task ReplaceInterruptedRewindAsync(StandbySource source, IProgress<BaseBackupProgress>? progress, CancellationToken ct)
    {
        var primary = await SourcePrimaryAsync(source, ct).ConfigureAwait(false);
        Log($"its rewind onto the source was interrupted; cloning afresh from the source's primary {primary.Host}:{primary.Port}");
        var fresh = await RewindOrClone.CloneBesideAsync(Binaries, Settings, DataDirectory, FreshCopySuffix, primary, progress, ct).ConfigureAwait(false);
        try
        {
            RewindOrClone.ReplaceWith(DataDirectory, fresh);
        }
        finally
        {
            BaseBackupCloner.RemovePartialCopy(fresh.Path, keepDirectory: false);
        }
    }

    /// <summary>
    /// Rewinds a running standby leader that has forked off the history of <paramref name="sourcePrimary"/> (its
    /// source's primary after a failover there that promoted below this leader's position: the WAL past that point was
    /// the lost source primary's and never acknowledged), and starts it again following <paramref name="source"/>.
    /// Refused (<see cref="InvalidRoleTransitionException"/>) unless it runs as the leader following
    /// <paramref name="source"/>, checked under the gate, so that the fence of a promote-cluster is never undone.
    /// </summary>
    /// <returns>How it was rewound; null when, stopped, it proved not to be forked after all (it runs again as before).</returns>
    public Task<RejoinOutcome?> RewindForkedFromSourceAsync(StandbySource source, PeerId sourcePrimary, PeerId? downstream,
        IProgress<BaseBackupProgress>? progress, CancellationToken ct) =>
        Serialised(async () =>
        {
            var role = StandbyLeaderConfig.Role(Settings, source, downstream);
            RequireFollowingSource(source, role);
            await RequireLaterTimelineAsync(sourcePrimary, ct).ConfigureAwait(false);
            return await FollowLockedAsync(sourcePrimary, downstream, progress, ct, rewindIfForked: true, role).ConfigureAwait(false);
        }, ct);

    /// <summary>
    /// Checked under the gate, as the stall rule checked it when it decided: the source primary runs a later timeline than
    /// this leader. A source host is found by asking, so the one read now may not be the one the rule saw.
    /// </summary>
    private async Task RequireLaterTimelineAsync(PeerId sourcePrimary, CancellationToken ct)
    {
        var own = (await Probe.ReadStatusAsync(ct).ConfigureAwait(false)).Timeline;
        var theirs = (await InstanceProbe.Of(sourcePrimary, Settings.Credentials, Settings.Timeouts.Connect).ReadStatusAsync(ct).ConfigureAwait(false)).Timeline;
        if (theirs <= own)
            throw new InvalidRoleTransitionException(
                $"{Settings.Self} runs timeline {own} and the source's primary {sourcePrimary.Host}:{sourcePrimary.Port} timeline {theirs}; " +
                "a leader is rewound only onto a later timeline, so it is not rewound onto that one.");
    }

    /// <summary>
    /// Replaces a running standby leader's data with a fresh copy of <paramref name="sourcePrimary"/>'s, for a leader
    /// whose source no longer holds the WAL it needs (<see cref="StandbyStall"/>), and follows <paramref name="source"/>
    /// again; refused as <see cref="RewindForkedFromSourceAsync"/> is.
    /// </summary>
    public async Task CloneAfreshFromSourceAsync(StandbySource source, PeerId sourcePrimary, PeerId? downstream,
        IProgress<BaseBackupProgress>? progress, CancellationToken ct)
    {
        var role = StandbyLeaderConfig.Role(Settings, source, downstream);
        RequireFollowingSource(source, role);   // and again under the gate, before the swap (CloneAfreshAsync)
        await CloneAfreshAsync(sourcePrimary, downstream, role, progress, ct).ConfigureAwait(false);
    }

    private void RequireFollowingSource(StandbySource source, RoleParameters role)
    {
        if (source.Repository is not null)
            throw new InvalidRoleTransitionException(
                $"{Settings.Self} follows the archive {source}; it replays what the archive holds and is neither rewound nor cloned afresh on its own.");
        if (!IsRunning || CurrentRole?.PrimaryConnInfo is not { } following || following != role.PrimaryConnInfo)
            throw new InvalidRoleTransitionException(
                $"{Settings.Self} is not a running standby leader that follows {source}, so it is neither cloned afresh from it nor rewound onto it.");
    }

    /// <summary>
    /// The first host of <paramref name="source"/> that takes writes (not in recovery, and not read-only), as a peer named
    /// <c>source</c>: the host the leader's WAL receiver streams from (<c>target_session_attrs=read-write</c>). A deposed
    /// source primary that fenced itself, still running read-only on its older timeline, is passed over, so that the
    /// leader is never cloned from it or rewound onto it.
    /// </summary>
    /// <exception cref="UpstreamUnreachableException">No host takes writes; the message says what each answered.</exception>
    public async Task<PeerId> SourcePrimaryAsync(StandbySource source, CancellationToken ct)
    {
        var seen = new List<string>();
        foreach (var host in source.Hosts)
        {
            try
            {
                await using var connection = await DriverConnection.OpenSuperuserAsync(host.Host, host.Port, Settings.Credentials,
                    Settings.Timeouts.Connect, ct).ConfigureAwait(false);
                await using var command = new NpgsqlCommand(
                    "SELECT pg_is_in_recovery(), current_setting('default_transaction_read_only') = 'on'", connection);
                await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
                await reader.ReadAsync(ct).ConfigureAwait(false);
                if (reader.GetBoolean(0)) seen.Add($"{host} is a standby");
                else if (reader.GetBoolean(1)) seen.Add($"{host} is a primary that takes no writes (fenced, or waiting for its sync)");
                else return new PeerId("source", host.Host, host.Port);
            }
            catch (Exception e) when (e is NpgsqlException or System.Net.Sockets.SocketException or TimeoutException && !ct.IsCancellationRequested)
            {
                seen.Add($"{host}: {e.Message}");
            }
        }
        throw new UpstreamUnreachableException(new PeerId("source", source.Hosts[0].Host, source.Hosts[0].Port),
            $"no host of the source takes writes ({string.Join("; ", seen)})");
    }
}
