using Npgsql;

namespace Appliance.Nodes.Postgres;

public sealed partial class PostgresDriver
{
    private readonly SemaphoreSlim _settingsGate = new(1, 1);
    private IReadOnlyDictionary<string, string> _clusterSettings = new Dictionary<string, string>();

    /// <summary>The cluster-wide settings this node writes (the newest state's), before the node's defaults are added.</summary>
    public IReadOnlyDictionary<string, string> ClusterSettings => Volatile.Read(ref _clusterSettings);

    /// <summary>
    /// Writes <paramref name="cluster"/> (over the node's defaults) to <see cref="ClusterSettingsFile"/> and has a running
    /// server reload it, waiting until it has; a start writes the newest ones too. The settings are taken at once, before
    /// the first wait, so a start that follows this call uses them. Not serialised with role changes, like pg_hba.
    /// </summary>
    public async Task<SettingsApplied> ApplySettingsAsync(IReadOnlyDictionary<string, string> cluster, CancellationToken ct)
    {
        Volatile.Write(ref _clusterSettings, cluster);
        await _settingsGate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            if (DataDirectory.Kind != DataDirectoryKind.Cluster) return new SettingsApplied(false, []);
            var changed = await WriteClusterSettingsLockedAsync(ct).ConfigureAwait(false);
            if (!IsRunning) return new SettingsApplied(changed, []);
            if (changed) await ReloadAndWaitAsync(ct).ConfigureAwait(false);
            return new SettingsApplied(changed, await PendingRestartAsync(ct).ConfigureAwait(false));
        }
        finally
        {
            _settingsGate.Release();
        }
    }

    /// <summary>Reloads a running server (SIGHUP) and returns once a new session sees the reload; false if none runs.</summary>
    public async Task<bool> ReloadAsync(CancellationToken ct)
    {
        await _settingsGate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            if (!IsRunning) return false;
            await ReloadAndWaitAsync(ct).ConfigureAwait(false);
            return true;
        }
        finally
        {
            _settingsGate.Release();
        }
    }

    /// <summary>
    /// Restarts a running server in the role it has (fast stop, then start with the files as they are now), so it
    /// picks up settings that need a restart. The caller makes sure it is not a primary that others depend on.
    /// </summary>
    /// <returns>False if no server ran.</returns>
    public Task<bool> RestartAsync(CancellationToken ct) => Serialised(async () =>
    {
        if (!IsRunning || CurrentRole is not { } role) return false;
        var standby = (await Probe.ReadStatusAsync(ct).ConfigureAwait(false)).InRecovery;
        await StopLockedAsync(ct).ConfigureAwait(false);
        await StartLockedAsync(role, standby, ct).ConfigureAwait(false);
        return true;
    }, ct);

    /// <summary>The settings the running server will change only at its next restart.</summary>
    public async Task<IReadOnlyList<string>> PendingRestartAsync(CancellationToken ct)
    {
        await using var connection = await Probe.OpenMonitorAsync(ct).ConfigureAwait(false);
        await using var command = new NpgsqlCommand("SELECT name FROM pg_settings WHERE pending_restart ORDER BY name", connection);
        await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
        var names = new List<string>();
        while (await reader.ReadAsync(ct).ConfigureAwait(false)) names.Add(reader.GetString(0));
        return names;
    }

    private async Task WriteClusterSettingsAsync(CancellationToken ct)
    {
        await _settingsGate.WaitAsync(ct).ConfigureAwait(false);
        try { await WriteClusterSettingsLockedAsync(ct).ConfigureAwait(false); }
        finally { _settingsGate.Release(); }
    }

    private async Task<bool> WriteClusterSettingsLockedAsync(CancellationToken ct)
    {
        var text = ClusterSettingsFile.Render(ClusterSettingsFile.Effective(Settings.Tuning, ClusterSettings));
        var path = DataDirectory.File(ClusterSettingsFile.FileName);
        if (File.Exists(path) && await File.ReadAllTextAsync(path, ct).ConfigureAwait(false) == text) return false;
        await DataDirectory.WriteFileAsync(ClusterSettingsFile.FileName, text, ct).ConfigureAwait(false);
        return true;
    }

    /// <summary>SIGHUP, then wait until a new session's <c>pg_conf_load_time()</c> is past the one before the signal.</summary>
    private async Task ReloadAndWaitAsync(CancellationToken ct)
    {
        var before = await ConfLoadTimeAsync(ct).ConfigureAwait(false);
        _instance!.Reload();
        await Poll.UntilAsync(async () => await ConfLoadTimeAsync(ct).ConfigureAwait(false) > before, Settings.Timeouts.Reload,
            () => new ConfigurationNotAppliedException($"{Settings.Self} did not reload its configuration within {Settings.Timeouts.Reload.TotalSeconds:0} s."),
            ct).ConfigureAwait(false);
    }

    private async Task<DateTime> ConfLoadTimeAsync(CancellationToken ct)
    {
        await using var connection = await Probe.OpenMonitorAsync(ct).ConfigureAwait(false);
        await using var command = new NpgsqlCommand("SELECT pg_conf_load_time()", connection);
        return (DateTime)(await command.ExecuteScalarAsync(ct).ConfigureAwait(false))!;
    }
}
