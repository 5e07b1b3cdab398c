using Appliance.Nodes.State;

namespace Appliance.Nodes.Postgres;

/// <summary>The settings the appliance owns, as written to <c>appliance.conf</c>.</summary>
/// <param name="Server">Settings that take effect only at server start.</param>
/// <param name="Role">Settings that a reload (SIGHUP) applies.</param>
internal sealed record ApplianceConfig(ServerParameters Server, RoleParameters Role)
{
    /// <summary>The name written into <c>synchronous_standby_names</c> when there is no peer to name.</summary>
    /// <remarks>
    /// It holds characters a <see cref="PeerId"/> may not, so no standby can ever match it: a server configured
    /// like this that somehow became primary would block every commit rather than acknowledge one alone.
    /// </remarks>
    public const string NoSyncPlaceholder = "appliance: no sync";

    /// <summary>The server parameters for an instance.</summary>
    public static ServerParameters ServerFor(DriverSettings settings) => new(
        ListenAddress: settings.Self.Host,
        Port: settings.Self.Port,
        ClusterName: settings.Self.Id,
        MaxWalSenders: settings.Tuning.MaxWalSenders,
        Tls: settings.Credentials.Tls,
        ArchiveCommand: settings.Backup?.ArchiveCommand);

    /// <summary>A primary that names <paramref name="sync"/> and is read-only unless <paramref name="readWrite"/>.</summary>
    public static RoleParameters Primary(PeerId sync, string walKeepSize, bool readWrite) =>
        new(SyncStandbyName: sync.Id, ReadOnly: !readWrite, PrimaryConnInfo: null, WalKeepSize: walKeepSize);

    /// <summary>A singleton primary: no sync, writable, every commit acknowledged locally (DESIGN §1, singleton mode).</summary>
    public static RoleParameters SingletonPrimary(string walKeepSize) =>
        new(SyncStandbyName: "", ReadOnly: false, PrimaryConnInfo: null, WalKeepSize: walKeepSize);

    /// <summary>
    /// A standby of <paramref name="upstream"/>. It names its own downstream as the sync it would want if it were
    /// promoted, so that a promotion never passes through a moment with no sync named. It streams as the replication role,
    /// whose password its WAL receiver reads from <see cref="ReplicationPassFile"/>, not from the setting.
    /// </summary>
    public static RoleParameters Standby(DriverSettings settings, PeerId upstream, PeerId? downstream) =>
        new(SyncStandbyName: downstream?.Id ?? NoSyncPlaceholder,
            ReadOnly: true,
            PrimaryConnInfo: ConnInfo.For(upstream.Host, upstream.Port, settings.Credentials.ReplicationUser, password: null,
                applicationName: settings.Self.Id, passFile: ReplicationPassFile.PathIn(settings.DataDirectory), tls: settings.Credentials.Tls),
            WalKeepSize: settings.Tuning.WalKeepSize);
}

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

/// <summary>Settings of <c>appliance.conf</c> that PostgreSQL reads only at start.</summary>
/// <param name="ListenAddress">listen_addresses.</param>
/// <param name="Port">port.</param>
/// <param name="ClusterName">cluster_name, which shows in process titles.</param>
/// <param name="MaxWalSenders">max_wal_senders.</param>
/// <param name="Tls">ssl and its files; null: ssl off.</param>
/// <param name="ArchiveCommand">archive_command, with archive_mode on; null: archive_mode off.</param>
/// <remarks>shared_buffers and max_connections are cluster settings (<see cref="ClusterSettingsFile"/>), no longer here.</remarks>
public sealed record ServerParameters(string ListenAddress, int Port, string ClusterName, int MaxWalSenders, PostgresTls? Tls = null,
    string? ArchiveCommand = null);

/// <summary>Settings of <c>appliance.conf</c> that a reload applies.</summary>
/// <param name="SyncStandbyName">The one standby named in synchronous_standby_names; empty only for a singleton primary.</param>
/// <param name="ReadOnly">default_transaction_read_only.</param>
/// <param name="PrimaryConnInfo">primary_conninfo of a standby; null on a primary.</param>
/// <param name="WalKeepSize">wal_keep_size.</param>
/// <param name="RestoreCommand">restore_command of a standby leader that follows an archive (<c>--standby-from-repo</c>);
/// null everywhere else: the cluster's standbys stream and never read the archive.</param>
public sealed record RoleParameters(string SyncStandbyName, bool ReadOnly, ConnInfo? PrimaryConnInfo, string WalKeepSize, string? RestoreCommand = null)
{
    /// <summary>Whether this is a standby's: it streams from an upstream or replays an archive.</summary>
    public bool IsStandby => PrimaryConnInfo is not null || RestoreCommand is not null;

    /// <summary>The value of synchronous_standby_names: the name double-quoted, so any id is taken literally.</summary>
    public string SynchronousStandbyNames => SyncStandbyName.Length == 0 ? "" : $"FIRST 1 (\"{SyncStandbyName}\")";
}
