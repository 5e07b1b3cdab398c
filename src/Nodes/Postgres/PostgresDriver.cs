using Appliance.Nodes.Backup;
using Appliance.Nodes.State;
using Npgsql;

namespace Appliance.Nodes.Postgres;

/// <summary>
/// Makes one PostgreSQL instance take the role the cluster state gives it: primary, standby (sync or async, which
/// PostgreSQL does not tell apart: the primary's <c>synchronous_standby_names</c> does), or stopped.
/// </summary>
/// <remarks>
/// Role changes are serialised: each public operation waits for the one before it. Every operation is
/// cancellable; a cancelled start stops the half-started server, and a cancelled clone removes its partial copy.
/// </remarks>
public sealed partial class PostgresDriver : IAsyncDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Action<string>? _onServerLog;
    private PostgresInstance? _instance;
    private PostgresInstance? _rolesEnsuredFor;
    private readonly SemaphoreSlim _hbaGate = new(1, 1);
    private readonly SemaphoreSlim _passFileGate = new(1, 1);
    private IReadOnlyList<string> _admittedHosts;
    private int _admissions;   // counts AdmitHostsAsync's rewrites, so a start can tell one happened while it ran
    private RoleParameters? _role;
    // The role last written to appliance.conf and signalled. It differs from _role (the last one the server confirmed)
    // only when a reload's confirmation was interrupted (cancelled, timed out): the server may then be on either. So a
    // decision to skip a reload needs both to agree, and a fence builds on the written one. Found by the divergence
    // chaos schedule: a fence that overran the coordinator's probe left _role without the upstream that a later reload
    // had restored, and every fence after it was refused for 3 minutes ("not a running standby").
    private RoleParameters? _written;
    private readonly StatusSession _statusSession;
    private long _operations;   // counts serialised operations as they begin and end (the status session's epoch)

    private bool RoleConfirmed => _written == _role;

    private RoleParameters? CurrentRole => _written ?? _role;

    /// <summary>A driver for the instance <paramref name="settings"/> describes, using <paramref name="binaries"/>.</summary>
    /// <param name="settings">The instance.</param>
    /// <param name="binaries">The PostgreSQL programs (see <see cref="PostgresBinaries.LocateAsync"/>).</param>
    /// <param name="onServerLog">Receives every line the server writes to its standard error.</param>
    public PostgresDriver(DriverSettings settings, PostgresBinaries binaries, Action<string>? onServerLog = null)
    {
        Settings = settings;
        Binaries = binaries;
        DataDirectory = new DataDirectory(Path.GetFullPath(settings.DataDirectory));
        Probe = InstanceProbe.Of(settings.Self, settings.Credentials, settings.Timeouts.Connect);
        _statusSession = new StatusSession(Probe, settings.Timeouts.StatusSession);
        _admittedHosts = HbaFile.AdmittedHosts(null, settings);
        _onServerLog = onServerLog;
        if (settings.Credentials.Secret is { } secret) secret.Changed += OnSecretChanged;
    }

    // A rotated password (the superuser's, from which the replication password is derived, or the replication password's
    // version) reaches this node with the catalog. The WAL receiver keeps streaming on the connection it has, but its next
    // one reads the password file: write it now, so that a reconnect never fails on a stale password.
    private void OnSecretChanged() => _ = RewritePassFileAsync();

    private async Task RewritePassFileAsync()
    {
        await _passFileGate.WaitAsync().ConfigureAwait(false);
        try
        {
            if (!File.Exists(ReplicationPassFile.PathIn(DataDirectory.Path))) return;
            await WritePassFileAsync(CancellationToken.None).ConfigureAwait(false);
            _onServerLog?.Invoke($"appliance: {Settings.Self}: the cluster's passwords changed (replication password version " +
                                 $"{Settings.Credentials.Secret?.ReplicationVersion}); wrote {ReplicationPassFile.FileName} again");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _onServerLog?.Invoke($"appliance: {Settings.Self}: could not write {ReplicationPassFile.FileName} after a password change: {e.Message}");
        }
        finally
        {
            _passFileGate.Release();
        }
    }

    private async Task WritePassFileAsync(CancellationToken ct)
    {
        await DataDirectory.WriteFileAsync(ReplicationPassFile.FileName,
            ReplicationPassFile.Render(Settings.Credentials.ReplicationUser, Settings.Credentials.ReplicationPassword), ct).ConfigureAwait(false);
        PostgresOsUser.GiveToPostgres(ReplicationPassFile.PathIn(DataDirectory.Path));
    }

    /// <summary>Locates the binaries (<see cref="DriverSettings.BinDirectory"/> or the newest installed) and creates the driver.</summary>
    public static async Task<PostgresDriver> CreateAsync(DriverSettings settings, Action<string>? onServerLog, CancellationToken ct) =>
        new(settings, await PostgresBinaries.LocateAsync(settings.BinDirectory, ct).ConfigureAwait(false), onServerLog);

    /// <summary>The instance's settings.</summary>
    public DriverSettings Settings { get; }

    /// <summary>The PostgreSQL programs in use.</summary>
    public PostgresBinaries Binaries { get; }

    /// <summary>The data directory.</summary>
    public DataDirectory DataDirectory { get; }

    /// <summary>Reads positions and health from this instance.</summary>
    public InstanceProbe Probe { get; }

    /// <summary>
    /// The instance's status for the node's periodic report, as <see cref="InstanceProbe.ReadStatusAsync(CancellationToken)"/>
    /// reads it, but on a monitoring session kept open between reads (<see cref="StatusSession"/>). That session is
    /// left for a fresh one after every reload this driver signals, every start and every role operation, so a read
    /// after any of them runs in a backend that started from the new configuration. The driver's own checks (after a
    /// reload, a promotion, a fence) keep using <see cref="Probe"/>'s fresh connections.
    /// </summary>
    public Task<InstanceStatus> ReadReportStatusAsync(CancellationToken ct) => _statusSession.ReadAsync(StatusEpochNow, ct);

    /// <summary>
    /// A standby's progress for its stall check (<see cref="InstanceProbe.ReadStandbyProgressAsync(CancellationToken)"/>),
    /// on the status reports' kept session: one query every few seconds while it streams, and no login.
    /// </summary>
    public Task<StandbyProgress> ReadStandbyProgressAsync(CancellationToken ct) =>
        _statusSession.ReadAsync(StatusEpochNow, Probe.ReadStandbyProgressAsync, ct);

    private StatusEpoch StatusEpochNow => new(_instance, _instance?.Reloads ?? 0, Interlocked.Read(ref _operations));

    // Record equality: the same postmaster object (by reference), no reload signalled and no operation run since.
    private sealed record StatusEpoch(PostgresInstance? Instance, long Reloads, long Operations);

    /// <summary>The running (or last) postmaster; null before the first start.</summary>
    public PostgresInstance? Instance => _instance;

    /// <summary>True while the postmaster runs.</summary>
    public bool IsRunning => _instance?.IsRunning == true;

    /// <summary>The role settings last applied.</summary>
    public RoleParameters? AppliedRole => _role;

    /// <summary>The sync that caught up and for which writes were enabled; null while the primary is read-only.</summary>
    public PeerId? SyncedDownstream { get; private set; }

    /// <summary>
    /// Creates a new cluster (initdb, with data checksums so that pg_rewind works) in an empty data directory.
    /// Only the cluster's first primary does this; everyone else clones.
    /// </summary>
    /// <returns>True if it created the cluster, false if the directory already held one of the right version.</returns>
    /// <exception cref="DataDirectoryNotEmptyException">The directory holds files that are not a cluster.</exception>
    /// <exception cref="WrongMajorVersionException">It holds a cluster of another major version.</exception>
    public Task<bool> InitializeAsync(CancellationToken ct) => Serialised(async () =>
    {
        switch (DataDirectory.Kind)
        {
            case DataDirectoryKind.Cluster:
                DataDirectory.RequireClusterOf(Binaries);
                return false;
            case DataDirectoryKind.Other:
                throw new DataDirectoryNotEmptyException(DataDirectory.Path, "files, but no PostgreSQL cluster");
        }
        var password = Settings.Credentials.SuperuserPassword;
        if (password.Length == 0 || password.IndexOfAny(['\n', '\r']) >= 0)
            throw new ArgumentException("The superuser password must be one non-empty line (initdb reads it from a file).");

        var existed = Directory.Exists(DataDirectory.Path);
        DataDirectory.EnsureExists();
        if (Settings.Backup is { Bootstrap: { } bootstrap } backup)
        {
            // A new cluster from a backup (issue 17): the repository's database in place of an empty one.
            try { await BootstrapRestore.RunAsync(backup, bootstrap, Binaries.BinDirectory, DataDirectory.Path, Settings.Self.Port, password, _onServerLog, ct).ConfigureAwait(false); }
            catch
            {
                BaseBackupCloner.RemovePartialCopy(DataDirectory.Path, existed);
                throw;
            }
            await DataDirectory.EnsureApplianceIncludeAsync(ct).ConfigureAwait(false);
            return true;
        }
        var passwordFile = Path.Combine(Path.GetTempPath(), $"appliance-pw-{Guid.NewGuid():N}");
        CommandResult? result = null;
        try
        {
            await PrivateFile.WriteAsync(passwordFile, password + "\n", ct).ConfigureAwait(false);
            result = await PostgresCommand.RunAsync(Binaries.InitDb,
                ["-D", DataDirectory.Path, "--data-checksums", "--username", ClusterCredentials.Superuser, "--pwfile", passwordFile,
                 "--auth-local=peer", "--auth-host=scram-sha-256", "--encoding=UTF8", "--locale=C"], null, null, ct).ConfigureAwait(false);
        }
        finally
        {
            File.Delete(passwordFile);
            if (result is not { ExitCode: 0 }) BaseBackupCloner.RemovePartialCopy(DataDirectory.Path, existed);
        }
        if (result.ExitCode != 0) throw new PostgresCommandFailedException("initdb", result.ExitCode, result.Output);
        await DataDirectory.EnsureApplianceIncludeAsync(ct).ConfigureAwait(false);
        return true;
    }, ct);

    /// <summary>
    /// Makes this instance a primary that names <paramref name="sync"/> and is read-only: started from a stopped
    /// primary, promoted from a running (or stopped) standby, or re-pointed at a new sync when already primary.
    /// Call <see cref="EnableWritesWhenSyncCaughtUpAsync"/> next.
    /// </summary>
    public Task StartPrimaryAsync(PeerId sync, CancellationToken ct) => StartPrimaryAsync(sync, generation: 0, ct);

    /// <summary>
    /// As <see cref="StartPrimaryAsync(PeerId, CancellationToken)"/>; a promotion starts the timeline
    /// <see cref="PromotionTimeline.For"/> gives for <paramref name="generation"/> (0: simply the next one).
    /// </summary>
    /// <returns>The timeline a promotion started, or null when this call did not promote.</returns>
    public Task<int?> StartPrimaryAsync(PeerId sync, long generation, CancellationToken ct) => Serialised(async () =>
    {
        var role = ApplianceConfig.Primary(sync, Settings.Tuning.WalKeepSize, readWrite: false);
        int? promoted = null;
        if (IsRunning)
        {
            var status = await Probe.ReadStatusAsync(ct).ConfigureAwait(false);
            if (status.InRecovery)
            {
                promoted = await PromoteLockedAsync(role, generation, ct).ConfigureAwait(false);
            }
            else if (!RoleConfirmed || _role?.SyncStandbyName != sync.Id)
            {
                // Read-only again and naming the new sync in one reload: a write already in flight waits for the
                // new sync rather than committing unreplicated.
                SyncedDownstream = null;
                await ReloadLockedAsync(role, ct).ConfigureAwait(false);
            }
        }
        else
        {
            DataDirectory.RequireClusterOf(Binaries);
            if (DataDirectory.HasStandbySignal)
            {
                // A stopped standby becomes primary by promotion (a new timeline), never by starting without
                // standby.signal: that would continue the old primary's timeline and hide any divergence from pg_rewind.
                await StartLockedAsync(role, standby: true, ct).ConfigureAwait(false);
                promoted = await PromoteLockedAsync(role, generation, ct).ConfigureAwait(false);
            }
            else
                await StartLockedAsync(role, standby: false, ct).ConfigureAwait(false);
        }
        await EnsureRolesLockedAsync(ct).ConfigureAwait(false);
        return promoted;
    }, ct);

    /// <summary>
    /// Waits until <paramref name="sync"/> is streaming and has flushed all that was sent, then lets this primary
    /// take writes. The wait gives up after <paramref name="progressTimeout"/> without flush progress, and the
    /// primary stays read-only.
    /// </summary>
    /// <exception cref="SyncNotCaughtUpException">The sync did not catch up.</exception>
    /// <exception cref="InvalidRoleTransitionException">This is not a running primary naming that sync (or it changed meanwhile).</exception>
    public async Task<DownstreamStatus> EnableWritesWhenSyncCaughtUpAsync(PeerId sync, TimeSpan progressTimeout, CancellationToken ct)
    {
        RequirePrimaryNaming(sync);
        // Not under the gate: the wait may be long, and a role change or stop must be able to overtake it.
        var row = await ReplicationCatchUpWaiter.WaitAsync(Probe, sync, progressTimeout, ct).ConfigureAwait(false);
        return await Serialised(async () =>
        {
            RequirePrimaryNaming(sync);
            await ReloadLockedAsync(_role! with { ReadOnly = false }, ct).ConfigureAwait(false);
            SyncedDownstream = sync;
            return row;
        }, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Makes this instance a standby of <paramref name="upstream"/> that would name <paramref name="downstream"/>
    /// as its sync if promoted. An empty data directory is cloned first; a running standby is re-pointed by a
    /// reload, without a restart.
    /// </summary>
    /// <exception cref="InvalidRoleTransitionException">It runs as a primary: a primary is deposed, stopped and rejoined, never turned in place.</exception>
    /// <exception cref="ForeignDataDirectoryException">The data directory belongs to another cluster; it was not touched.</exception>
    /// <returns>How it was put onto the upstream's history first, when that history forked below its WAL; otherwise null.</returns>
    public Task<RejoinOutcome?> FollowAsync(PeerId upstream, PeerId? downstream, IProgress<BaseBackupProgress>? progress, CancellationToken ct) =>
        Serialised(() => FollowLockedAsync(upstream, downstream, progress, ct), ct);

    /// <summary>
    /// Brings a deposed instance back as a standby of <paramref name="upstream"/>: stops it if it runs, rewinds it
    /// (or clones it afresh if the rewind fails), and starts it following the upstream.
    /// </summary>
    public Task<RejoinOutcome> RejoinAsync(PeerId upstream, PeerId? downstream, IProgress<BaseBackupProgress>? progress,
        CancellationToken ct) => RejoinAsync(upstream, upstream, downstream, progress, ct);

    /// <summary>
    /// Brings a deposed instance back as a standby of <paramref name="upstream"/>, rewinding it (or cloning it afresh)
    /// from <paramref name="source"/>, normally the current primary. Until it runs as a standby, a failed attempt leaves
    /// a <see cref="RejoinMarker"/>, so the next attempt rewinds again instead of following blindly.
    /// </summary>
    public Task<RejoinOutcome> RejoinAsync(PeerId source, PeerId upstream, PeerId? downstream, IProgress<BaseBackupProgress>? progress,
        CancellationToken ct) => Serialised(async () =>
    {
        await StopLockedAsync(ct).ConfigureAwait(false);
        var outcome = await RewindOrClone.RunAsync(Binaries, Settings, DataDirectory, source, progress, ct).ConfigureAwait(false);
        await FollowLockedAsync(upstream, downstream, progress, ct, rewindIfForked: false).ConfigureAwait(false);   // just rewound
        RejoinMarker.For(DataDirectory).Complete();
        return outcome;
    }, ct);

    /// <summary>
    /// Replaces a standby's data with a fresh copy of <paramref name="upstream"/>'s and follows it again: for a standby
    /// whose upstream no longer holds the WAL it needs (<see cref="StandbyStall"/>). The copy is made beside the data
    /// directory while the standby still serves reads; only the swap stops it.
    /// </summary>
    /// <exception cref="InvalidRoleTransitionException">
    /// It is not a running standby that follows <paramref name="upstream"/>: a fence has emptied its <c>primary_conninfo</c>
    /// (a takeover may be reading its position), or another role was applied meanwhile. Its data is left as it was.
    /// </exception>
    public Task CloneAfreshAsync(PeerId upstream, PeerId? downstream, IProgress<BaseBackupProgress>? progress, CancellationToken ct) =>
        CloneAfreshAsync(upstream, downstream, ApplianceConfig.Standby(Settings, upstream, downstream), progress, ct);

    private async Task CloneAfreshAsync(PeerId upstream, PeerId? downstream, RoleParameters role, IProgress<BaseBackupProgress>? progress,
        CancellationToken ct)
    {
        RequireFollowing(upstream, role);
        var fresh = await RewindOrClone.CloneBesideAsync(Binaries, Settings, DataDirectory, FreshCopySuffix, upstream, progress, ct).ConfigureAwait(false);
        try
        {
            await Serialised(async () =>
            {
                // Checked again under the gate: a fence raised during the copy must find the standby as it left it.
                RequireFollowing(upstream, role);
                await StopLockedAsync(ct).ConfigureAwait(false);
                RewindOrClone.ReplaceWith(DataDirectory, fresh);
                RejoinMarker.For(DataDirectory).Complete();   // whatever was pending concerned data that is gone
                return await FollowLockedAsync(upstream, downstream, progress, ct, rewindIfForked: false, role).ConfigureAwait(false);
            }, ct).ConfigureAwait(false);
        }
        finally
        {
            BaseBackupCloner.RemovePartialCopy(fresh.Path, keepDirectory: false);   // gone once swapped in
        }
    }

    private const string FreshCopySuffix = ".appliance-fresh";

    private void RequireFollowing(PeerId upstream, RoleParameters role)
    {
        if (!IsRunning || CurrentRole?.PrimaryConnInfo is not { } following || following != role.PrimaryConnInfo)
            throw new InvalidRoleTransitionException(
                $"{Settings.Self} is not a running standby that follows {upstream}, so it is neither cloned afresh from it nor rewound onto it.");
    }

    /// <summary>
    /// Rewinds a running standby of <paramref name="upstream"/> that has forked off the upstream's history since it
    /// started (the stall check's <see cref="StallVerdict.Rewind"/>), and starts it again; refused
    /// (<see cref="InvalidRoleTransitionException"/>) unless it runs following <paramref name="upstream"/>, checked under
    /// the gate, so that a fence raised meanwhile (its <c>primary_conninfo</c> emptied) is never undone.
    /// </summary>
    /// <returns>How it was rewound; null when, stopped, it proved not to be forked after all (it runs again as before).</returns>
    public Task<RejoinOutcome?> RewindForkedAsync(PeerId upstream, PeerId? downstream, IProgress<BaseBackupProgress>? progress, CancellationToken ct) =>
        Serialised(async () =>
        {
            RequireFollowing(upstream, ApplianceConfig.Standby(Settings, upstream, downstream));
            return await FollowLockedAsync(upstream, downstream, progress, ct).ConfigureAwait(false);
        }, ct);

    /// <summary>Whether a rejoin was begun and has not finished (see <see cref="RejoinMarker"/>).</summary>
    public bool RejoinPending => RejoinMarker.For(DataDirectory).IsPending;

    /// <summary>
    /// Self-fencing: the primary goes read-only and every client connection is terminated, so no client keeps
    /// writing or reading stale data through an open session. The server keeps running.
    /// </summary>
    /// <returns>How many client connections were terminated.</returns>
    public Task<int> FenceAsync(CancellationToken ct) => Serialised(async () =>
    {
        if (!IsRunning || CurrentRole is not { } current) return 0;
        SyncedDownstream = null;
        if (!current.ReadOnly || !RoleConfirmed) await ReloadLockedAsync(current with { ReadOnly = true }, ct).ConfigureAwait(false);
        await using var connection = await Probe.OpenAsync(ct).ConfigureAwait(false);
        await using var command = new NpgsqlCommand(
            "SELECT count(pg_terminate_backend(pid))::int FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()",
            connection);
        return (int)(await command.ExecuteScalarAsync(ct).ConfigureAwait(false))!;
    }, ct);

    /// <summary>
    /// Makes this instance a singleton primary: writable, with no sync, so every commit is acknowledged locally.
    /// Started from a stopped primary, promoted from a standby, or reloaded when already primary.
    /// </summary>
    public Task StartSingletonPrimaryAsync(CancellationToken ct) => StartSingletonPrimaryAsync(generation: 0, ct);

    /// <summary>
    /// As <see cref="StartSingletonPrimaryAsync(CancellationToken)"/>; a promotion starts the timeline
    /// <see cref="PromotionTimeline.For"/> gives for <paramref name="generation"/> (0: simply the next one).
    /// </summary>
    /// <returns>The timeline a promotion started, or null when this call did not promote.</returns>
    public Task<int?> StartSingletonPrimaryAsync(long generation, CancellationToken ct) => Serialised(async () =>
    {
        var role = ApplianceConfig.SingletonPrimary(Settings.Tuning.WalKeepSize);
        int? promoted = null;
        if (IsRunning)
        {
            if ((await Probe.ReadStatusAsync(ct).ConfigureAwait(false)).InRecovery)
                promoted = await PromoteLockedAsync(role, generation, ct).ConfigureAwait(false);
            else if (_role != role || !RoleConfirmed)
                await ReloadLockedAsync(role, ct).ConfigureAwait(false);
        }
        else
        {
            DataDirectory.RequireClusterOf(Binaries);
            var standby = DataDirectory.HasStandbySignal;
            await StartLockedAsync(role, standby, ct).ConfigureAwait(false);
            if (standby) promoted = await PromoteLockedAsync(role, generation, ct).ConfigureAwait(false);
        }
        await EnsureRolesLockedAsync(ct).ConfigureAwait(false);
        return promoted;
    }, ct);

    /// <summary>
    /// Fence before a takeover: this standby stops receiving WAL (<c>primary_conninfo</c> emptied in the
    /// appliance-owned file, so the fence survives a restart), replays every whole record it holds, and returns how
    /// far it replayed and how far it holds WAL. From then on nothing more of its old primary reaches it, so nothing more
    /// is acknowledged through it.
    /// </summary>
    /// <remarks>
    /// The replayed end becomes the new generation's initWal, so it must be where a promotion would fork: the end of
    /// the last whole record in pg_wal. The startup process's wait events do not prove that (it can sleep out
    /// <c>wal_retrieve_retry_interval</c> with whole records still unread after a receiver died, and a receiver that is
    /// still starting is not in <c>pg_stat_wal_receiver</c>), so the end is checked against the WAL itself
    /// (<see cref="NoRecordAtAsync"/>), and the positions must not have moved meanwhile.
    /// </remarks>
    /// <exception cref="InvalidRoleTransitionException">It is not a running standby.</exception>
    public Task<StandbyWalEnd> StopReceivingAsync(CancellationToken ct) => Serialised(async () =>
    {
        // A standby that already has no upstream is fenced again (idempotent): the loop below still proves no receiver runs.
        if (!IsRunning || CurrentRole is not { } current || !(await Probe.ReadStatusAsync(ct).ConfigureAwait(false)).InRecovery)
            throw new InvalidRoleTransitionException($"{Settings.Self} is not a running standby, so it has no WAL receiver to stop.");
        await ReloadLockedAsync(current with { PrimaryConnInfo = null, RestoreCommand = null }, ct).ConfigureAwait(false);
        var deadline = DateTimeOffset.UtcNow + Settings.Timeouts.Reload;
        // Every step below is bounded too (a hung query or pg_waldump would otherwise hold the driver's gate for good).
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(ct);
        bounded.CancelAfter(Settings.Timeouts.Reload + Settings.Timeouts.Connect);
        var within = bounded.Token;
        Lsn? exhaustedAt = null;
        string? lastCheck = null;
        while (true)
        {
            var wal = await ReadFencedWalAsync(within).ConfigureAwait(false);
            // Replay reached what was received, or it waits for more at the same position twice (the last chunk may end
            // inside a record, and replay stops before that record for good; found by CI: a switchover target that
            // could never be fenced). Either way the WAL itself must then show no whole record left to replay.
            var settled = wal.Receivers == 0 && ((wal.Received is { } r && wal.Replayed >= r) || (wal.WaitingForWal && exhaustedAt == wal.Replayed));
            exhaustedAt = wal.Receivers == 0 && wal.WaitingForWal ? wal.Replayed : null;
            if (settled)
            {
                var (noRecord, check) = await NoRecordAtAsync(wal.Replayed, wal.SegmentSize, within).ConfigureAwait(false);
                lastCheck = check;
                // Nothing moved while pg_wal was read: no receiver started meanwhile, and replay did not go on.
                if (noRecord && await ReadFencedWalAsync(within).ConfigureAwait(false) is { Receivers: 0 } again
                    && again.Received == wal.Received && again.Replayed == wal.Replayed)
                {
                    // IDENTIFY_SYSTEM answers the timeline replayed and how far WAL is held on it: the received end when
                    // the receiver streamed that timeline (kept after it exits), else the replayed end.
                    var held = await Probe.IdentifyStandbyAsync(within).ConfigureAwait(false);
                    return new StandbyWalEnd(wal.Replayed, held is { } h ? Lsn.Max(h.Held, wal.Replayed) : wal.Replayed, held?.Timeline);
                }
            }
            if (DateTimeOffset.UtcNow > deadline)
                throw new PostgresDriverException(
                    $"{Settings.Self} did not stop receiving and replay every whole record it holds within {Settings.Timeouts.Reload.TotalSeconds:0} s " +
                    $"(receivers {wal.Receivers}, received {wal.Received?.ToString() ?? "none"}, replayed {wal.Replayed}" +
                    $"{(lastCheck is null ? "" : $"; the WAL at {wal.Replayed}: {lastCheck}")}).");
            await Task.Delay(TimeSpan.FromMilliseconds(settled ? 100 : 20), within).ConfigureAwait(false);
        }
    }, ct);

    private sealed record FencedWal(int Receivers, Lsn? Received, Lsn Replayed, bool WaitingForWal, long SegmentSize);

    private async Task<FencedWal> ReadFencedWalAsync(CancellationToken ct)
    {
        await using var connection = await Probe.OpenAsync(ct).ConfigureAwait(false);
        // Receivers from pg_stat_activity: pg_stat_wal_receiver shows one only once it has connected.
        await using var command = new NpgsqlCommand(
            "SELECT (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'walreceiver')::int, pg_last_wal_receive_lsn()::text, " +
            "pg_last_wal_replay_lsn()::text, EXISTS (SELECT 1 FROM pg_stat_activity WHERE backend_type = 'startup' " +
            "AND wait_event IN ('RecoveryWalStream', 'RecoveryRetrieveRetryInterval')), " +
            "(SELECT setting::bigint FROM pg_settings WHERE name = 'wal_segment_size')", connection);
        await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
        await reader.ReadAsync(ct).ConfigureAwait(false);
        return new FencedWal(reader.GetInt32(0), reader.IsDBNull(1) ? null : Lsn.Parse(reader.GetString(1)),
            reader.IsDBNull(2) ? Lsn.Zero : Lsn.Parse(reader.GetString(2)), reader.GetBoolean(3), reader.GetInt64(4));
    }

    /// <summary>
    /// Whether pg_wal holds no valid record at <paramref name="at"/>, as recovery would read it at promotion. Any answer
    /// that is not understood, and any error reading pg_wal, is "not proven", with what was seen.
    /// </summary>
    /// <remarks>
    /// The timeline read is the newest with a file holding WAL for the segment of <paramref name="at"/> (a standby
    /// streams a new timeline from the start of the segment its switch point is in, so that file holds the same
    /// prefix). That timeline's files from there on, as long as they follow one another and hold WAL, are read by
    /// <c>pg_waldump</c> named as its first and last segment (so it takes the segment size from a file that holds WAL,
    /// not from a zero-filled one preallocated by a restartpoint, and never waits for a file that is not there). It
    /// must find no valid record; no newer timeline may hold WAL for any of those segments, nor for the next one, into
    /// which a record could run on (recovery reads a newer timeline's file over an older one, never the reverse).
    /// </remarks>
    internal async Task<(bool NoRecord, string Seen)> NoRecordAtAsync(Lsn at, long segmentSize, CancellationToken ct)
    {
        var walDirectory = Path.Combine(DataDirectory.Path, "pg_wal");
        var perXLogId = 0x1_0000_0000UL / (ulong)segmentSize;
        string Name(int timeline, ulong segment) => $"{timeline:X8}{segment / perXLogId:X8}{segment % perXLogId:X8}";
        IEnumerable<int> TimelinesWithWal(ulong segment) => Directory.EnumerateFiles(walDirectory, "????????" + Name(1, segment)[8..])
            .Where(HoldsWal)
            .Select(f => int.TryParse(Path.GetFileName(f)[..8], System.Globalization.NumberStyles.HexNumber,
                System.Globalization.CultureInfo.InvariantCulture, out var t) ? t : 0)
            .Where(t => t > 0);
        try
        {
            var first = at.Value / (ulong)segmentSize;
            var timeline = TimelinesWithWal(first).DefaultIfEmpty(0).Max();
            if (timeline == 0) return (true, $"no segment file of {Name(1, first)[8..]} holds WAL");
            var last = first;
            while (HoldsWal(Path.Combine(walDirectory, Name(timeline, last + 1)))) last++;
            for (var segment = first + 1; segment <= last + 1; segment++)
                if (TimelinesWithWal(segment).Where(t => t > timeline).DefaultIfEmpty(0).Max() is var newer and > 0)
                    return (false, $"segment {Name(newer, segment)} holds WAL on timeline {newer}, newer than {timeline}");
            var dump = await PostgresCommand.RunAsync(Path.Combine(Binaries.BinDirectory, "pg_waldump"),
                ["--path", walDirectory, "--timeline", timeline.ToString(System.Globalization.CultureInfo.InvariantCulture),
                 "--start", at.ToString(), "--limit", "1", Name(timeline, first), Name(timeline, last)], null, null, ct).ConfigureAwait(false);
            var seen = string.Join(" ", dump.Output).Trim();
            if (dump.Output.Any(line => line.StartsWith("rmgr:", StringComparison.Ordinal))) return (false, $"a whole record is left to replay ({seen})");
            return (dump.ExitCode != 0 && seen.Contains("could not find a valid record after", StringComparison.Ordinal), seen);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.ComponentModel.Win32Exception)
        {
            return (false, $"pg_wal could not be read: {e.Message}");
        }
    }

    // A segment file holds WAL once its first page has a header; a preallocated one is zero-filled. (A recycled file
    // holds an old header: pg_waldump then rejects its pages by their address, as recovery does.)
    private static bool HoldsWal(string path)
    {
        try
        {
            using var file = File.OpenRead(path);
            Span<byte> magic = stackalloc byte[2];
            return file.Read(magic) == 2 && (magic[0] != 0 || magic[1] != 0);
        }
        catch (FileNotFoundException)
        {
            return false;
        }
    }

    /// <summary>
    /// Fence before a new sync: this primary names <paramref name="syncId"/> alone in
    /// <c>synchronous_standby_names</c> and goes read-only, waits until no other walsender counts as synchronous,
    /// and returns how far its WAL is flushed. Every commit acknowledged before is at or below that (a commit is
    /// flushed here before it waits for a standby), and every commit acknowledged later is on that peer. Not the write
    /// position: a standby receives only flushed WAL, so a sync that holds all of it could never reach a write position
    /// past the flush if this primary died now.
    /// </summary>
    /// <exception cref="InvalidRoleTransitionException">It is not a running primary.</exception>
    public Task<Lsn> NameSyncAsync(string syncId, CancellationToken ct) => Serialised(async () =>
    {
        if (!IsRunning || CurrentRole is not { IsStandby: false } current || (await Probe.ReadStatusAsync(ct).ConfigureAwait(false)).InRecovery)
            throw new InvalidRoleTransitionException($"{Settings.Self} is not a running primary, so it cannot name a sync.");
        SyncedDownstream = null;
        await ReloadLockedAsync(current with { SyncStandbyName = syncId, ReadOnly = true }, ct).ConfigureAwait(false);
        // A new session sees the setting before every walsender has re-read it; until they have, the old sync may still
        // acknowledge commits, so the position is read only once none but the named peer counts as synchronous.
        var flushed = Lsn.Zero;
        await Poll.UntilAsync(async () =>
        {
            await using var connection = await Probe.OpenAsync(ct).ConfigureAwait(false);
            await using var command = new NpgsqlCommand(
                "SELECT (SELECT count(*) FROM pg_stat_replication WHERE application_name <> @sync AND sync_state <> 'async')::int, pg_current_wal_flush_lsn()::text",
                connection);
            command.Parameters.AddWithValue("sync", syncId);
            await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
            await reader.ReadAsync(ct).ConfigureAwait(false);
            if (reader.GetInt32(0) != 0) return false;
            flushed = Lsn.Parse(reader.GetString(1));
            return true;
        }, Settings.Timeouts.Reload,
            () => new PostgresDriverException($"{Settings.Self}: another standby still counts as synchronous after naming {syncId}."), ct).ConfigureAwait(false);
        return flushed;
    }, ct);

    /// <summary>Stops the server: fast shutdown, then immediate after <see cref="DriverTimeouts.FastStop"/>. Never smart.</summary>
    /// <returns>How it ended, or null if it was not running.</returns>
    public Task<PostmasterExit?> StopAsync(CancellationToken ct) => Serialised(() => StopLockedAsync(ct), ct);

    /// <summary>Kills the postmaster (SIGKILL) as a crash would, and waits until its children are gone too.</summary>
    public Task<PostmasterExit?> KillAsync(CancellationToken ct) => Serialised(async () =>
    {
        if (!IsRunning) return null;
        SyncedDownstream = null;
        return (PostmasterExit?)await _instance!.KillAsync(ct).ConfigureAwait(false);
    }, ct);

    /// <summary>Stops the server if it runs.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Settings.Credentials.Secret is { } secret) secret.Changed -= OnSecretChanged;
        try
        {
            await StopAsync(CancellationToken.None).ConfigureAwait(false);
        }
        finally
        {
            await _statusSession.DisposeAsync().ConfigureAwait(false);
        }
    }

    // role: what it runs with once it follows upstream; a standby's of upstream unless given (a standby leader's, whose
    // primary_conninfo names every host of its source).
    private async Task<RejoinOutcome?> FollowLockedAsync(PeerId upstream, PeerId? downstream, IProgress<BaseBackupProgress>? progress,
        CancellationToken ct, bool rewindIfForked = true, RoleParameters? role = null)
    {
        role ??= ApplianceConfig.Standby(Settings, upstream, downstream);
        RejoinOutcome? rewound = null;
        if (IsRunning)
        {
            var status = await Probe.ReadStatusAsync(ct).ConfigureAwait(false);
            if (!status.InRecovery)
                throw new InvalidRoleTransitionException(
                    $"{Settings.Self} runs as a primary and cannot follow {upstream} in place: a former primary may hold " +
                    "transactions the new primary lacks. Stop it and call RejoinAsync, which rewinds it first.");
            if (!rewindIfForked || !await ForkedWhileRunningAsync(status, upstream, ct).ConfigureAwait(false))
            {
                await ReloadLockedAsync(role, ct).ConfigureAwait(false);
                return null;
            }
            // Streaming would fail for ever ("requested timeline is not a child"): stopped, it is compared and rewound below.
            await StopLockedAsync(ct).ConfigureAwait(false);
        }

        switch (DataDirectory.Kind)
        {
            case DataDirectoryKind.Empty:
                var running = await CloneEmptyAsync(upstream, role, progress, ct).ConfigureAwait(false);
                RejoinMarker.For(DataDirectory).Complete();   // whatever was pending concerned data that is gone
                if (running) return null;   // restored from the repository, started, and streaming
                break;
            case DataDirectoryKind.Other:
                throw new DataDirectoryNotEmptyException(DataDirectory.Path, "files, but no PostgreSQL cluster");
            default:
                await RequireSameClusterAsUpstreamAsync(upstream, ct).ConfigureAwait(false);
                if (rewindIfForked) rewound = await RewindIfForkedAsync(upstream, progress, ct).ConfigureAwait(false);
                break;
        }
        await StartLockedAsync(role, standby: true, ct).ConfigureAwait(false);
        if (rewound is not null) RejoinMarker.For(DataDirectory).Complete();   // only once it runs on the new history
        return rewound;
    }

    /// <summary>
    /// A standby whose WAL goes past the point where its upstream's history forked off its own can never stream from
    /// it, and PostgreSQL refuses to start on such a history ("according to history file, WAL location ... belongs to
    /// timeline ..."). Such WAL was never acknowledged (the primary promoted below it), so it is rewound away first.
    /// </summary>
    // onlyOntoLaterTimeline: a standby leader's source primary is found by asking its hosts, not named by this cluster's
    // state, so a stale one could answer; a rewind onto a timeline that is not later could drop the newer history's WAL.
    private async Task<RejoinOutcome?> RewindIfForkedAsync(PeerId upstream, IProgress<BaseBackupProgress>? progress, CancellationToken ct,
        bool onlyOntoLaterTimeline = false)
    {
        // A pending rejoin is RejoinAsync's to finish (callers see it in RejoinPending): it knows the former timeline,
        // and a second pg_rewind over a rewound directory that never started leaves WAL recovery cannot read.
        if (RejoinMarker.For(DataDirectory).IsPending) return null;
        HistoryComparison? standing;
        try
        {
            standing = await RewindOrClone.CompareAsync(Binaries, Settings, DataDirectory, upstream, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is UpstreamUnreachableException or NpgsqlException or System.Net.Sockets.SocketException or TimeoutException)
        {
            return null;   // as with the cluster check: it waits for WAL, and the comparison is repeated at the next start
        }
        if (standing is not { Forked: true }) return null;
        if (onlyOntoLaterTimeline && standing.Upstream.Timeline <= standing.Local.History.Timeline)
        {
            _onServerLog?.Invoke($"appliance: {Settings.Self}: forked off {upstream}'s history {standing.Upstream}, but not rewound onto it: " +
                                 $"its timeline is not later than this instance's {standing.Local.History}");
            return null;
        }
        var why = $"{Settings.Self}: upstream {upstream}'s history {standing.Upstream} forked off this instance's {standing.Local.History} " +
                  $"at {standing.ForkPoint}, below its position {standing.Local.Position}; rewinding";
        _onServerLog?.Invoke("appliance: " + why);
        var outcome = await RewindOrClone.RunAsync(Binaries, Settings, DataDirectory, upstream, progress, ct).ConfigureAwait(false);
        return outcome with { Why = why };
    }

    private async Task<bool> ForkedWhileRunningAsync(InstanceStatus status, PeerId upstream, CancellationToken ct)
    {
        if (status.History is not { } own) return false;
        try
        {
            var theirs = (await InstanceProbe.Of(upstream, Settings.Credentials, Settings.Timeouts.Connect).ReadStatusAsync(ct).ConfigureAwait(false)).History;
            return theirs is not null && !theirs.Holds(own, status.AppliedPosition);
        }
        catch (Exception e) when (e is NpgsqlException or System.Net.Sockets.SocketException or TimeoutException)
        {
            return false;
        }
    }

    private async Task RequireSameClusterAsUpstreamAsync(PeerId upstream, CancellationToken ct)
    {
        var local = await DataDirectory.ReadControlDataAsync(Binaries, ct).ConfigureAwait(false);
        UpstreamIdentity identity;
        try
        {
            identity = await UpstreamIdentity.ReadAsync(upstream, Settings.Credentials, Settings.Timeouts.Connect, ct).ConfigureAwait(false);
        }
        catch (UpstreamUnreachableException)
        {
            // A standby may start while its upstream is down (it serves stale reads and waits for WAL); the check is
            // repeated at the next start, and a foreign upstream could not stream to it anyway.
            return;
        }
        identity.RequireMajorVersion(Binaries, upstream);
        identity.RequireSameCluster(DataDirectory.Path, local.SystemIdentifier, upstream);
    }

    private async Task StartLockedAsync(RoleParameters role, bool standby, CancellationToken ct)
    {
        DataDirectory.RequireClusterOf(Binaries);
        // The checks come before writing anything, so a refused start leaves the directory as it was.
        CommitGuard.RequireInstalled(Binaries.PackageLibDirectory);
        DataDirectory.ClearStalePidFile();
        await PostgresInstance.RequirePortFreeAsync(Settings.Self.Host, Settings.Self.Port, ct).ConfigureAwait(false);
        await DataDirectory.EnsureApplianceIncludeAsync(ct).ConfigureAwait(false);
        var admissions = Volatile.Read(ref _admissions);
        await WriteHbaAsync(ct).ConfigureAwait(false);
        await _passFileGate.WaitAsync(ct).ConfigureAwait(false);
        try { await WritePassFileAsync(ct).ConfigureAwait(false); }
        finally { _passFileGate.Release(); }
        await WriteClusterSettingsAsync(ct).ConfigureAwait(false);
        await DataDirectory.WriteFileAsync(ApplianceConfigFile.FileName,
            ApplianceConfigFile.Render(new ApplianceConfig(ApplianceConfig.ServerFor(Settings), role)), ct).ConfigureAwait(false);
        _written = role;
        await DataDirectory.SetStandbySignalAsync(standby, ct).ConfigureAwait(false);
        PostgresOsUser.GiveTreeToPostgres(DataDirectory.Path);
        SyncedDownstream = null;
        _instance = await PostgresInstance.StartAsync(Binaries, DataDirectory, ApplianceConfig.ServerFor(Settings),
            Settings.Timeouts.Start, _onServerLog, ct).ConfigureAwait(false);
        // An admission that rewrote the file after the postmaster had read it, but before it counted as running, found
        // nothing to reload.
        if (Volatile.Read(ref _admissions) != admissions) _instance.Reload();
        await RequireCommitGuardLoadedAsync(ct).ConfigureAwait(false);
        _role = role;
    }

    /// <summary>
    /// Admits <paramref name="hosts"/> (<see cref="HbaFile.AdmittedHosts"/>: the seeds, this instance, and the peers the
    /// cluster state names) in <c>pg_hba.conf</c>: rewrites the file when that changes it and has a running server reload
    /// it (SIGHUP, as <c>pg_reload_conf()</c> sends), which applies to new connections without a restart. Not serialised
    /// with role changes, so a long clone or start never holds it up; a start renders the newest hosts too.
    /// </summary>
    /// <returns>True if the file changed.</returns>
    public async Task<bool> AdmitHostsAsync(IReadOnlyList<string> hosts, CancellationToken ct)
    {
        await _hbaGate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            _admittedHosts = hosts;
            if (DataDirectory.Kind != DataDirectoryKind.Cluster || !await WriteHbaLockedAsync(ct).ConfigureAwait(false)) return false;
            Interlocked.Increment(ref _admissions);
            if (IsRunning) _instance!.Reload();
            return true;
        }
        finally
        {
            _hbaGate.Release();
        }
    }

    private async Task WriteHbaAsync(CancellationToken ct)
    {
        await _hbaGate.WaitAsync(ct).ConfigureAwait(false);
        try { await WriteHbaLockedAsync(ct).ConfigureAwait(false); }
        finally { _hbaGate.Release(); }
    }

    /// <summary>Writes <c>pg_hba.conf</c> for the hosts admitted now, only if that changes it.</summary>
    private async Task<bool> WriteHbaLockedAsync(CancellationToken ct)
    {
        var text = HbaFile.Render(Settings.Credentials.ReplicationUser, _admittedHosts, Settings.ClientNetworks,
            tlsOnly: Settings.Credentials.Tls is not null, standbyNetworks: Settings.StandbyNetworks);
        var path = DataDirectory.File(HbaFile.FileName);
        if (File.Exists(path) && await File.ReadAllTextAsync(path, ct).ConfigureAwait(false) == text) return false;
        await DataDirectory.WriteFileAsync(HbaFile.FileName, text, ct).ConfigureAwait(false);
        return true;
    }

    /// <summary>
    /// The library file exists, but ALTER SYSTEM (postgresql.auto.conf is read after appliance.conf) can still drop it from
    /// shared_preload_libraries; a server without it is stopped rather than left to acknowledge local commits.
    /// </summary>
    private async Task RequireCommitGuardLoadedAsync(CancellationToken ct)
    {
        string? enabled, libraries, source;
        await using (var connection = await Probe.OpenAsync(ct).ConfigureAwait(false))
        await using (var command = new NpgsqlCommand(
            $"SELECT current_setting('{CommitGuard.EnabledSetting}', true), setting, sourcefile FROM pg_settings WHERE name = 'shared_preload_libraries'",
            connection))
        await using (var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false))
        {
            await reader.ReadAsync(ct).ConfigureAwait(false);
            enabled = reader.IsDBNull(0) ? null : reader.GetString(0);
            libraries = reader.GetString(1);
            source = reader.IsDBNull(2) ? null : reader.GetString(2);
        }
        if (enabled == "on") return;
        await StopLockedAsync(ct).ConfigureAwait(false);
        throw new ConfigurationNotAppliedException(
            $"{Settings.Self} started without the {CommitGuard.LibraryName} library (shared_preload_libraries is '{libraries}', " +
            $"set in {source ?? "a default"}), so it was stopped again. {ApplianceConfigFile.FileName} owns that setting; " +
            "if another file sets it (ALTER SYSTEM writes postgresql.auto.conf), remove it there.");
    }

    /// <summary>Rewrites the role settings and reloads; returns once a new session sees them.</summary>
    private async Task ReloadLockedAsync(RoleParameters role, CancellationToken ct)
    {
        var server = ApplianceConfig.ServerFor(Settings);
        var previous = CurrentRole;
        await DataDirectory.WriteFileAsync(ApplianceConfigFile.FileName,
            ApplianceConfigFile.Render(new ApplianceConfig(server, role)), ct).ConfigureAwait(false);
        _written = role;
        if (server != _instance!.StartedWith)
        {
            var standby = (await Probe.ReadStatusAsync(ct).ConfigureAwait(false)).InRecovery;
            await StopLockedAsync(ct).ConfigureAwait(false);
            await StartLockedAsync(role, standby, ct).ConfigureAwait(false);
            return;
        }
        _instance.Reload();
        await WaitUntilAppliedAsync(role, previous, ct).ConfigureAwait(false);
        _role = role;
    }

    private async Task WaitUntilAppliedAsync(RoleParameters role, RoleParameters? previous, CancellationToken ct)
    {
        var expected = new Dictionary<string, string>
        {
            ["synchronous_standby_names"] = role.SynchronousStandbyNames,
            ["default_transaction_read_only"] = role.ReadOnly ? "on" : "off",
            ["primary_conninfo"] = role.PrimaryConnInfo?.Render() ?? "",
        };
        // Only when a role sets it or the one written before did (a standby leader that follows an archive, and its
        // promotion or fence): every other role leaves the setting to PostgreSQL's default, and nothing else is checked.
        if (role.RestoreCommand is not null || previous?.RestoreCommand is not null)
            expected["restore_command"] = role.RestoreCommand ?? "";
        string? mismatch = null;
        await Poll.UntilAsync(async () =>
        {
            mismatch = null;
            foreach (var (name, value) in expected)
            {
                var (actual, source) = await Probe.ReadSettingAsync(name, ct).ConfigureAwait(false);
                if (actual != value)
                {
                    mismatch = $"{name} is '{actual}' (set in {source ?? "a default"}), not '{value}'";
                    return false;
                }
            }
            return true;
        }, Settings.Timeouts.Reload, () => new ConfigurationNotAppliedException(
            $"After a reload of {Settings.Self}, {mismatch}. If another file sets it (ALTER SYSTEM writes " +
            $"postgresql.auto.conf), remove it there: {ApplianceConfigFile.FileName} owns this setting."), ct).ConfigureAwait(false);
    }

    private async Task<int?> PromoteLockedAsync(RoleParameters primaryRole, long generation, CancellationToken ct)
    {
        // Name the sync (and stay read-only) before leaving recovery, so there is no moment as a primary with no
        // sync named.
        await ReloadLockedAsync(primaryRole, ct).ConfigureAwait(false);
        SyncedDownstream = null;
        var before = await Probe.ReadStatusAsync(ct).ConfigureAwait(false);
        var target = PromotionTimeline.For(before.Timeline, generation);
        if (SetAsideForeignTimelines(before.Timeline))
        {
            // The startup process may already have taken a set-aside timeline as its recovery target (it rescans pg_wal
            // while it waits for WAL) and keeps that in memory, where the numbering starts from: a restart makes it
            // recover along its own timeline again.
            await StopLockedAsync(ct).ConfigureAwait(false);
            await StartLockedAsync(primaryRole, standby: true, ct).ConfigureAwait(false);
            before = await Probe.ReadStatusAsync(ct).ConfigureAwait(false);
        }
        await PlaceSkippedTimelinesAsync(before.Timeline, target, ct).ConfigureAwait(false);
        var waitSeconds = Math.Max(1, (int)Settings.Timeouts.Promote.TotalSeconds);
        await using (var connection = await Probe.OpenAsync(ct).ConfigureAwait(false))
        await using (var command = new NpgsqlCommand($"SELECT pg_promote(wait => true, wait_seconds => {waitSeconds})", connection))
        {
            if (await command.ExecuteScalarAsync(ct).ConfigureAwait(false) is not true)
                throw new PostgresDriverException($"pg_promote on {Settings.Self} did not finish within {waitSeconds} s.");
        }
        await Poll.UntilAsync(async () => !(await Probe.ReadStatusAsync(ct).ConfigureAwait(false)).InRecovery, Settings.Timeouts.Promote,
            () => new PostgresDriverException($"{Settings.Self} still reports pg_is_in_recovery() after pg_promote."), ct).ConfigureAwait(false);
        return (await Probe.ReadStatusAsync(ct).ConfigureAwait(false)).Timeline;
    }

    /// <summary>
    /// PostgreSQL starts the timeline one past the newest history file it finds (probing upwards from its own), so
    /// history files for every number below <paramref name="target"/> make it start <paramref name="target"/>.
    /// </summary>
    /// <remarks>
    /// <para>They stay: a standby that follows the new timeline fetches the history file of every timeline between
    /// its own and its primary's, and the walsender fails on a missing one.</para>
    /// <para>Each says the skipped timeline forked off <paramref name="current"/> where <paramref name="current"/>
    /// began. That is below this standby's replay position, so its startup process, which rescans for newer timelines
    /// while it waits for WAL (this standby is fenced), refuses to follow one ("forked off ... before current recovery
    /// point") and keeps <paramref name="current"/> as the parent of the promotion. Each is written under a temporary
    /// name and renamed: PostgreSQL stops on a history file it cannot parse.</para>
    /// </remarks>
    private async Task PlaceSkippedTimelinesAsync(int current, int target, CancellationToken ct)
    {
        if (target <= current + 1) return;
        var currentFile = Path.Combine(DataDirectory.Path, "pg_wal", HistoryFileName(current));
        var ancestry = current == 1 ? "" : await File.ReadAllTextAsync(currentFile, ct).ConfigureAwait(false);
        var past = TimelineHistory.Parse(current, ancestry).Past;
        var began = past.IsEmpty ? Lsn.Zero : past[^1].SwitchPoint;
        if (ancestry.Length > 0 && !ancestry.EndsWith('\n')) ancestry += "\n";
        for (var skipped = current + 1; skipped < target; skipped++)
        {
            var file = Path.Combine(DataDirectory.Path, "pg_wal", HistoryFileName(skipped));
            if (File.Exists(file)) continue;
            var temporary = file + ".appliance-tmp";
            await PrivateFile.WriteAsync(temporary,
                ancestry + $"{current}\t{began}\t{EarlierTimelines.SkippedMarker} so that the promotion starts timeline {target}\n", ct).ConfigureAwait(false);
            File.Move(temporary, file);
        }
    }

    /// <summary>Where <see cref="SetAsideForeignTimelines"/> keeps the history files it takes out of <c>pg_wal</c>.</summary>
    public const string ForeignHistoryDirectory = "appliance-foreign-history";

    /// <summary>
    /// Moves every history file numbered past <paramref name="replayed"/>, the timeline this standby replays, out of
    /// <c>pg_wal</c> (into <see cref="ForeignHistoryDirectory"/>), so that the promotion forks off
    /// <paramref name="replayed"/> and starts the number the skipped-number files then make PostgreSQL pick.
    /// </summary>
    /// <remarks>
    /// Such a file describes a timeline this standby never replayed. PostgreSQL numbers a promotion one past the newest
    /// history file it finds (or the timeline it already took as its recovery target), whatever timeline it replays, so
    /// a file at or past the generation would push the promotion past the generation's number and break "generation =
    /// timeline", the invariant that keeps two promotions off one number; one below it would be kept as a skipped
    /// number and could become the new timeline's parent. A standby cluster's leader gets them from its source: its WAL
    /// receiver fetches the history of the source's newer timeline before it finds that it cannot follow it (forked) or
    /// while replay has not reached the switch yet. A standby of a cluster of its own can hold one only in the middle of
    /// a switch to its upstream's new timeline, and then it promotes from the position and history its fence reported.
    /// The files are kept, not deleted, for an operator who wants to see what the source was doing; the skipped-number
    /// files of an earlier attempt move too and are written again.
    /// </remarks>
    /// <returns>Whether any file was moved.</returns>
    private bool SetAsideForeignTimelines(int replayed)
    {
        var walDirectory = Path.Combine(DataDirectory.Path, "pg_wal");
        var moved = false;
        foreach (var file in Directory.EnumerateFiles(walDirectory, "*.history").ToList())
        {
            var name = Path.GetFileNameWithoutExtension(file);
            if (name.Length != 8 || !int.TryParse(name, System.Globalization.NumberStyles.HexNumber, null, out var timeline) || timeline <= replayed) continue;
            var aside = Directory.CreateDirectory(Path.Combine(DataDirectory.Path, ForeignHistoryDirectory)).FullName;
            PostgresOsUser.GiveToPostgres(aside);
            File.Move(file, Path.Combine(aside, Path.GetFileName(file)), overwrite: true);
            moved = true;
        }
        return moved;
    }

    private static string HistoryFileName(int timeline) => $"{timeline:X8}.history";

    /// <summary>
    /// Makes sure the roles are as the credentials say (<see cref="ApplianceRoles"/>), once per postmaster that runs as a
    /// primary: after its first start, after a promotion, and again after a failed attempt. So an upgraded cluster's
    /// replication role gets its new password from the first primary that runs the new version, and a bootstrap commit
    /// lost in a failover is made again by the next primary.
    /// </summary>
    private async Task EnsureRolesLockedAsync(CancellationToken ct)
    {
        if (_rolesEnsuredFor == _instance) return;
        await using (var connection = await Probe.OpenAsync(ct).ConfigureAwait(false))
        {
            if (await ApplianceRoles.EnsureAsync(connection, Settings.Credentials, ct).ConfigureAwait(false))
                _onServerLog?.Invoke($"appliance: {Settings.Self}: created or corrected the roles {Settings.Credentials.ReplicationUser} " +
                                     $"and {ClusterCredentials.MonitorUser}");
        }
        _rolesEnsuredFor = _instance;
    }

    private async Task<PostmasterExit?> StopLockedAsync(CancellationToken ct)
    {
        SyncedDownstream = null;
        if (!IsRunning) return null;
        return await _instance!.StopAsync(Settings.Timeouts.FastStop, Settings.Timeouts.ImmediateStop, ct).ConfigureAwait(false);
    }

    private void RequirePrimaryNaming(PeerId sync)
    {
        if (!IsRunning || _role is null || _role.IsStandby || _role.SyncStandbyName != sync.Id)
            throw new InvalidRoleTransitionException(
                $"{Settings.Self} is not a running primary that names {sync.Id} as its sync; call StartPrimaryAsync({sync.Id}) first.");
    }

    private async Task<T> Serialised<T>(Func<Task<T>> operation, CancellationToken ct)
    {
        await _gate.WaitAsync(ct).ConfigureAwait(false);
        Interlocked.Increment(ref _operations);
        try { return await operation().ConfigureAwait(false); }
        finally
        {
            Interlocked.Increment(ref _operations);
            _gate.Release();
        }
    }
}
