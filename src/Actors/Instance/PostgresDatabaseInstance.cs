using Appliance.Nodes.Postgres;
using Appliance.Nodes.State;

namespace Appliance.Actors.Instance;

/// <summary>The production <see cref="IDatabaseInstance"/>: the driver of <c>src/Nodes/Postgres</c>.</summary>
public sealed class PostgresDatabaseInstance(PostgresDriver node) : IDatabaseInstance, IAsyncDisposable
{
    /// <summary>The driver underneath, for the host's status endpoints.</summary>
    public PostgresDriver Driver { get; } = node;

    /// <inheritdoc />
    public PeerId Peer => Driver.Settings.Self;

    /// <inheritdoc />
    public bool HasData => Driver.DataDirectory.Kind == DataDirectoryKind.Cluster;

    /// <inheritdoc />
    public bool WasPrimary => HasData && (!Driver.DataDirectory.HasStandbySignal || Driver.RejoinPending);

    /// <inheritdoc />
    public bool IsRunning => Driver.IsRunning;

    /// <inheritdoc />
    public int? PostmasterPid => Driver.IsRunning ? Driver.Instance!.Pid : null;

    /// <inheritdoc />
    public Task<PostmasterExit>? Exited => Driver.IsRunning ? Driver.Instance!.Exited : null;

    /// <inheritdoc />
    public FenceFile? Fences { get; } = FenceFile.Beside(node.DataDirectory.Path);

    /// <inheritdoc />
    public StateLineage? Lineage { get; } = StateLineage.Beside(node.DataDirectory.Path);

    /// <inheritdoc />
    public IReadOnlyList<string>? SecretFingerprints => Driver.Settings.Credentials.Secret?.Fingerprints;

    /// <inheritdoc />
    public async Task<bool> IsNotAPrimaryAsync(PeerId peer, CancellationToken ct) =>
        (await ReadStatusOfAsync(peer, ct).ConfigureAwait(false))?.InRecovery ?? true;

    /// <inheritdoc />
    public async Task<InstanceStatus?> ReadStatusOfAsync(PeerId peer, CancellationToken ct)
    {
        try
        {
            return await InstanceProbe.Of(peer, Driver.Settings.Credentials, Driver.Settings.Timeouts.Connect).ReadStatusAsync(ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is Npgsql.NpgsqlException or System.Net.Sockets.SocketException or TimeoutException && !ct.IsCancellationRequested)
        {
            return null;
        }
    }

    /// <inheritdoc />
    public Task<string?> WhyNotReadyToCloneAsync(PeerId upstream, CancellationToken ct) =>
        BaseBackupCloner.WhyNotReadyToCloneAsync(upstream, Driver.Settings, ct);

    /// <inheritdoc />
    public Task<bool> AdmitPeersAsync(ClusterState state, CancellationToken ct) =>
        Driver.AdmitHostsAsync(HbaFile.AdmittedHosts(state, Driver.Settings), ct);

    /// <inheritdoc />
    public Task InitializeAsync(CancellationToken ct) => Driver.InitializeAsync(ct);

    /// <inheritdoc />
    public Task<int?> StartPrimaryAsync(PeerId? sync, long generation, CancellationToken ct) =>
        sync is null ? Driver.StartSingletonPrimaryAsync(generation, ct) : Driver.StartPrimaryAsync(sync, generation, ct);

    /// <inheritdoc />
    public Task EnableWritesWhenSyncCaughtUpAsync(PeerId sync, TimeSpan progressTimeout, CancellationToken ct) =>
        Driver.EnableWritesWhenSyncCaughtUpAsync(sync, progressTimeout, ct);

    /// <inheritdoc />
    public Task FollowSourceAsync(StandbySource source, PeerId? downstream, IProgress<BaseBackupProgress>? progress, CancellationToken ct) =>
        Driver.FollowSourceAsync(source, downstream, progress, ct);

    /// <inheritdoc />
    public Task<RejoinOutcome?> FollowAsync(PeerId upstream, PeerId? downstream, IProgress<BaseBackupProgress>? progress, CancellationToken ct) =>
        Driver.FollowAsync(upstream, downstream, progress, ct);

    /// <inheritdoc />
    public Task<RejoinOutcome> RejoinAsync(PeerId source, PeerId upstream, PeerId? downstream, IProgress<BaseBackupProgress>? progress,
        CancellationToken ct) => Driver.RejoinAsync(source, upstream, downstream, progress, ct);

    /// <inheritdoc />
    public async Task<StallReading?> ReadStallAsync(PeerId upstream, CancellationToken ct)
    {
        if (await ReadOwnProgressAsync(ct).ConfigureAwait(false) is not { } own) return null;
        if (own.Streaming) return new StallReading(own, null);
        try
        {
            var theirs = await InstanceProbe.Of(upstream, Driver.Settings.Credentials, Driver.Settings.Timeouts.Connect).ReadWalHeldAsync(ct).ConfigureAwait(false);
            return new StallReading(own, theirs);
        }
        catch (Exception e) when (e is Npgsql.NpgsqlException or TimeoutException or System.Net.Sockets.SocketException && !ct.IsCancellationRequested)
        {
            return new StallReading(own, null);
        }
    }

    /// <inheritdoc />
    public async Task<SourceStallReading?> ReadSourceStallAsync(StandbySource source, CancellationToken ct)
    {
        if (await ReadOwnProgressAsync(ct).ConfigureAwait(false) is not { } own) return null;
        if (own.Streaming) return new SourceStallReading(new StallReading(own, null), null);
        try
        {
            var primary = await Driver.SourcePrimaryAsync(source, ct).ConfigureAwait(false);
            var theirs = await InstanceProbe.Of(primary, Driver.Settings.Credentials, Driver.Settings.Timeouts.Connect).ReadWalHeldAsync(ct).ConfigureAwait(false);
            return new SourceStallReading(new StallReading(own, theirs), primary);
        }
        catch (Exception e) when (e is UpstreamUnreachableException or Npgsql.NpgsqlException or TimeoutException or System.Net.Sockets.SocketException &&
                                  !ct.IsCancellationRequested)
        {
            return new SourceStallReading(new StallReading(own, null), null);
        }
    }

    /// <summary>A stall check's reading of this standby itself; null when its PostgreSQL does not run or answer.</summary>
    private async Task<StandbyProgress?> ReadOwnProgressAsync(CancellationToken ct)
    {
        if (!Driver.IsRunning) return null;
        try
        {
            return await Driver.ReadStandbyProgressAsync(ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is Npgsql.NpgsqlException or TimeoutException or System.Net.Sockets.SocketException && !ct.IsCancellationRequested)
        {
            return null;
        }
    }

    /// <inheritdoc />
    public Task<RejoinOutcome?> RewindForkedFromSourceAsync(StandbySource source, PeerId sourcePrimary, PeerId? downstream,
        IProgress<BaseBackupProgress>? progress, CancellationToken ct) =>
        Driver.RewindForkedFromSourceAsync(source, sourcePrimary, downstream, progress, ct);

    /// <inheritdoc />
    public Task CloneAfreshFromSourceAsync(StandbySource source, PeerId sourcePrimary, PeerId? downstream,
        IProgress<BaseBackupProgress>? progress, CancellationToken ct) =>
        Driver.CloneAfreshFromSourceAsync(source, sourcePrimary, downstream, progress, ct);

    /// <inheritdoc />
    public Task CloneAfreshAsync(PeerId upstream, PeerId? downstream, IProgress<BaseBackupProgress>? progress, CancellationToken ct) =>
        Driver.CloneAfreshAsync(upstream, downstream, progress, ct);

    /// <inheritdoc />
    public Task<RejoinOutcome?> RewindForkedAsync(PeerId upstream, PeerId? downstream, IProgress<BaseBackupProgress>? progress, CancellationToken ct) =>
        Driver.RewindForkedAsync(upstream, downstream, progress, ct);

    /// <inheritdoc />
    public async Task<FenceReading> StopReceivingAsync(CancellationToken ct)
    {
        var end = await Driver.StopReceivingAsync(ct).ConfigureAwait(false);
        var reading = await WithHistoryAsync(end.Replayed, end.Received, ct).ConfigureAwait(false);
        // What is held counts only on the history reported with it: when IDENTIFY_SYSTEM could not be asked, or the
        // history read next is of another timeline, the replayed end alone is compared.
        return end.ReceivedTimeline is { } streamed && streamed == reading.History?.Timeline ? reading : reading with { Received = null };
    }

    /// <inheritdoc />
    public async Task<FenceReading> NameSyncAsync(string syncId, CancellationToken ct) =>
        await WithHistoryAsync(await Driver.NameSyncAsync(syncId, ct).ConfigureAwait(false), null, ct).ConfigureAwait(false);

    // Read after the fence is up, so nothing moves the instance onto another timeline between the position and this
    // read: a fenced standby receives nothing, and a fenced primary stays on its timeline.
    private async Task<FenceReading> WithHistoryAsync(Lsn position, Lsn? received, CancellationToken ct)
    {
        var status = await Driver.Probe.ReadStatusAsync(ct).ConfigureAwait(false);
        return new FenceReading(position, status.History, received);
    }

    /// <inheritdoc />
    public Task SelfFenceAsync(CancellationToken ct) => Driver.FenceAsync(ct);

    /// <inheritdoc />
    public Task StopAsync(CancellationToken ct) => Driver.StopAsync(ct);

    /// <inheritdoc />
    public async Task<InstanceStatus?> ReadStatusAsync(CancellationToken ct)
    {
        if (!Driver.IsRunning) return null;
        try
        {
            return await Driver.ReadReportStatusAsync(ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is Npgsql.NpgsqlException or TimeoutException or System.Net.Sockets.SocketException)
        {
            return null;   // starting, stopping or crashed: the report says PostgreSQL is down
        }
    }

    /// <inheritdoc />
    public Task<SettingsApplied> ApplySettingsAsync(IReadOnlyDictionary<string, string> settings, CancellationToken ct) =>
        Driver.ApplySettingsAsync(settings, ct);

    /// <inheritdoc />
    public Task<bool> ReloadAsync(CancellationToken ct) => Driver.ReloadAsync(ct);

    /// <inheritdoc />
    public async Task<string?> RestartAsync(bool onlyIfPending, CancellationToken ct)
    {
        if (!Driver.IsRunning) return "PostgreSQL does not run";
        if (onlyIfPending && (await Driver.PendingRestartAsync(ct).ConfigureAwait(false)).Count == 0) return "no restart pending";
        return await Driver.RestartAsync(ct).ConfigureAwait(false) ? null : "PostgreSQL does not run";
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync() => Driver.DisposeAsync();
}
