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
