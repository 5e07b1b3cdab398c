using Appliance.Nodes.State;

namespace Appliance.Nodes.Postgres;

/// <summary>The role settings of a standby cluster's leader.</summary>
internal static class StandbyLeaderConfig
{
    /// <summary>
    /// The application_name a standby leader streams under. It holds a ':' that no peer id may hold: the source's primary
    /// names its own sync by peer id, and a standby leader that shared that id would otherwise be taken for it and
    /// acknowledge the source's commits.
    /// </summary>
    public static string ApplicationName(DriverSettings settings) => $"appliance-standby:{settings.Self.Id}";

    /// <summary>
    /// A standby of <paramref name="source"/>'s primary (<see cref="ConnInfo.ForPrimaryOf"/>), read-only, naming
    /// <paramref name="downstream"/> as a standby does; its password comes from <see cref="ReplicationPassFile"/>, which
    /// holds the replication password derived from the secret the two clusters share.
    /// </summary>
    /// <remarks>
    /// A leader that follows an archive (<see cref="StandbySource.Repository"/>) has no primary_conninfo: its
    /// restore_command fetches each segment with <see cref="SourceArchive.ConfigFile"/>, and recovery_target_timeline
    /// 'latest' follows the source's failovers through the history files the source archives.
    /// </remarks>
    public static RoleParameters Role(DriverSettings settings, StandbySource source, PeerId? downstream) =>
        new(SyncStandbyName: downstream?.Id ?? ApplianceConfig.NoSyncPlaceholder,
            ReadOnly: true,
            PrimaryConnInfo: source.Repository is not null ? null : ConnInfo.ForPrimaryOf(source, settings.Credentials.ReplicationUser, ApplicationName(settings),
                ReplicationPassFile.PathIn(settings.DataDirectory), settings.Credentials.Tls),
            WalKeepSize: settings.Tuning.WalKeepSize,
            RestoreCommand: source.Repository is { } repository ? SourceArchive.RestoreCommand(settings, repository) : null);
}
