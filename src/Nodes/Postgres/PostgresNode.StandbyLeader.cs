using Appliance.Nodes.Backup;
using Appliance.Nodes.State;
using Npgsql;

namespace Appliance.Nodes.Postgres;

public sealed partial class PostgresNode
{
    /// <summary>
    /// Makes this instance the leader of a standby cluster: a standby of <paramref name="source"/>'s writable primary
    /// (<see cref="StandbyLeaderConfig.Role"/>), naming <paramref name="downstream"/> as a standby does. An empty data
    /// directory is cloned from the source's primary first (or restored from the newest backup, when the source is an
    /// archive); a running standby is re-pointed by a reload.
    /// </summary>
    /// <exception cref="InvalidRoleTransitionException">It runs as a primary, or its data directory was last a primary's:
    /// a standby leader never takes writes, and turning a primary into one would hide writes the source lacks.</exception>
    /// <exception cref="UpstreamUnreachableException">No host of the source answers as a writable primary (only when it
    /// must clone); nothing was written.</exception>
    /// <exception cref="Appliance.Nodes.Backup.PgBackRestException">The source's archive holds no backup or its restore
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
                    if (!DataDirectory.HasStandbySignal)
                        throw new InvalidRoleTransitionException(
                            $"{Settings.Self}'s data directory was last a primary's; it cannot lead a standby cluster that follows {source}. " +
                            "Move it away to clone afresh from the source.");
                    break;
            }
            await StartLockedAsync(role, standby: true, ct).ConfigureAwait(false);
            return true;
        }, ct);

    /// <summary>The first host of <paramref name="source"/> that answers as a primary (not in recovery).</summary>
    private async Task<PeerId> SourcePrimaryAsync(StandbySource source, CancellationToken ct)
    {
        var seen = new List<string>();
        foreach (var host in source.Hosts)
        {
            try
            {
                await using var connection = await DriverConnection.OpenSuperuserAsync(host.Host, host.Port, Settings.Credentials,
                    Settings.Timeouts.Connect, ct).ConfigureAwait(false);
                await using var command = new NpgsqlCommand("SELECT pg_is_in_recovery()", connection);
                if (!(bool)(await command.ExecuteScalarAsync(ct).ConfigureAwait(false))!)
                    return new PeerId("source", host.Host, host.Port);
                seen.Add($"{host} is a standby");
            }
            catch (Exception e) when (e is NpgsqlException or System.Net.Sockets.SocketException or TimeoutException && !ct.IsCancellationRequested)
            {
                seen.Add($"{host}: {e.Message}");
            }
        }
        throw new UpstreamUnreachableException(new PeerId("source", source.Hosts[0].Host, source.Hosts[0].Port),
            $"no host of the source answers as its primary ({string.Join("; ", seen)})");
    }
}
