using Appliance.Nodes.State;

namespace Appliance.Nodes.Postgres;

public sealed partial class PostgresDriver
{
    /// <summary>How the empty data directory was last filled (from the repository or by pg_basebackup, and why); null until it was.</summary>
    public CloneMethod? LastClone { get; private set; }

    /// <summary>
    /// Fills the empty data directory from <paramref name="upstream"/>: from the backup repository when
    /// <see cref="ReplicaSource"/> allows it (restored, started with <paramref name="role"/>, and kept only once it has
    /// streamed up to where its upstream was), else, or when any of that fails, with <c>pg_basebackup</c>. Each choice
    /// and each fallback is logged with its reason.
    /// </summary>
    /// <returns>True if the instance runs (the repository's copy streams); false if the caller starts the pg_basebackup copy.</returns>
    private async Task<bool> CloneEmptyAsync(PeerId upstream, RoleParameters role, IProgress<BaseBackupProgress>? progress, CancellationToken ct)
    {
        var plan = await RepositoryClone.DecideAsync(Settings, upstream, ct).ConfigureAwait(false);
        var method = plan.Method;
        if (method is CloneMethod.FromRepository chosen)
        {
            Log($"restoring a replica of {upstream} from the backup repository: {chosen.Why}");
            var failed = await RepositoryClone.RestoreAsync(Settings, chosen.Backup, plan.SegmentSize, DataDirectory, progress, ct).ConfigureAwait(false)
                         ?? await StartRestoredAsync(upstream, role, ct).ConfigureAwait(false);
            if (failed is null)
            {
                LastClone = chosen;
                Log($"made from the backup repository (backup {chosen.Backup.Label}); it streams from {upstream}");
                return true;
            }
            method = new CloneMethod.BaseBackup(failed);
        }
        Log($"cloning {upstream} with pg_basebackup: {method.Why}");
        await BaseBackupCloner.CloneAsync(Binaries, Settings, upstream, DataDirectory, progress, ct).ConfigureAwait(false);
        LastClone = method;
        return false;
    }

    /// <summary>Starts the restored copy and waits until it streams; on failure stops it and empties the directory.</summary>
    /// <returns>Null when it streams; otherwise why not.</returns>
    private async Task<string?> StartRestoredAsync(PeerId upstream, RoleParameters role, CancellationToken ct)
    {
        string? why;
        try
        {
            await StartLockedAsync(role, standby: true, ct).ConfigureAwait(false);
            why = await RepositoryClone.WhyNotStreamingAsync(Probe, InstanceProbe.Of(upstream, Settings.Credentials, Settings.Timeouts.Connect), ct)
                .ConfigureAwait(false);
            if (why is null) return null;
            why = $"the restored copy did not catch up with {upstream}: {why}";
        }
        catch (Exception e) when (e is PostgresDriverException or Npgsql.NpgsqlException or IOException && !ct.IsCancellationRequested)
        {
            why = $"the restored copy did not start as a standby of {upstream}: {e.Message}";
        }
        catch
        {
            // Cancelled, or anything unforeseen: a copy not yet seen to stream must not stay as if it were a standby.
            await DiscardRestoredAsync().ConfigureAwait(false);
            throw;
        }
        await DiscardRestoredAsync().ConfigureAwait(false);
        return why;
    }

    private async Task DiscardRestoredAsync()
    {
        await StopLockedAsync(CancellationToken.None).ConfigureAwait(false);
        BaseBackupCloner.RemovePartialCopy(DataDirectory.Path, keepDirectory: true);
    }

    private void Log(string message) => _onServerLog?.Invoke($"appliance: {Settings.Self}: {message}");
}
