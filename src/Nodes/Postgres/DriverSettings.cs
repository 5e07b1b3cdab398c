using Appliance.Nodes.State;

namespace Appliance.Nodes.Postgres;

/// <summary>Everything the driver needs to know about the one PostgreSQL instance it manages.</summary>
/// <param name="Self">This instance: its id (its <c>application_name</c>), and the address and port PostgreSQL listens on.</param>
/// <param name="DataDirectory">The data directory. Every parent must be traversable by the <c>postgres</c> OS user when the driver runs as root.</param>
/// <param name="Credentials">The superuser, replication and monitoring credentials, the same on every instance of the cluster.</param>
/// <param name="PeerHosts">The seed hosts: always admitted by pg_hba (with loopback and this instance), before any cluster
/// state and whatever it says; the driver also admits every peer the newest state names (<see cref="HbaFile.AdmittedHosts"/>).</param>
public sealed record DriverSettings(PeerId Self, string DataDirectory, ClusterCredentials Credentials, IReadOnlyList<string> PeerHosts)
{
    /// <summary>The PostgreSQL bin directory; null picks the newest <c>/usr/lib/postgresql/*/bin</c>.</summary>
    public string? BinDirectory { get; init; }

    /// <summary>Server sizing and WAL retention.</summary>
    public ServerTuning Tuning { get; init; } = ServerTuning.Default;

    /// <summary>How long each operation may take.</summary>
    public DriverTimeouts Timeouts { get; init; } = DriverTimeouts.Default;

    /// <summary>Extra client networks (CIDR, such as <c>10.0.0.0/8</c>) admitted for ordinary connections, never for replication.</summary>
    public IReadOnlyList<string> ClientNetworks { get; init; } = [];

    /// <summary>
    /// Networks (CIDR) of standby clusters that follow this one (<c>--standby-networks</c>): admitted for ordinary
    /// connections and, as the replication role, for replication, so that their leader can clone and stream from here.
    /// </summary>
    public IReadOnlyList<string> StandbyNetworks { get; init; } = [];

    /// <summary>
    /// pgBackRest options of the source repository a standby cluster's leader reads (<c>--standby-repo-option</c>, with
    /// <c>--standby-from-repo</c>): an object store's type, bucket and keys. Empty for a POSIX path.
    /// </summary>
    public IReadOnlyList<Appliance.Nodes.Backup.BackupOption> StandbyRepoOptions { get; init; } = [];

    /// <summary>WAL archiving and backups with pgBackRest (<c>--backup-repo</c>); null: no archiving.</summary>
    public Appliance.Nodes.Backup.BackupSettings? Backup { get; init; }
}
