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

/// <summary>The cluster-wide credentials. Clones copy the roles, so every instance holds the same ones.</summary>
/// <param name="SuperuserPassword">Password of the <c>postgres</c> superuser: the cluster secret. The driver's administrative
/// work (initdb, fencing, promotion, pg_rewind, checkpoints, the roles themselves) uses it; no standby stores it.</param>
/// <param name="ReplicationUser">The role standbys stream as: <c>LOGIN REPLICATION</c> and nothing else, admitted by
/// pg_hba for replication only.</param>
/// <param name="ReplicationPassword">Its password (production: <see cref="FromSecret(ClusterSecret)"/> derives it).</param>
public sealed record ClusterCredentials(string SuperuserPassword, string ReplicationUser, string ReplicationPassword)
{
    private ClusterSecret? _secret;
    private string _superuserPassword = SuperuserPassword;
    private string _replicationPassword = ReplicationPassword;
    private string? _monitorPassword;

    /// <summary>
    /// Where the passwords come from when they can change while the node runs (production: <see cref="FromSecret(ClusterSecret)"/>):
    /// <see cref="SuperuserPassword"/>, <see cref="ReplicationPassword"/> and <see cref="MonitorPassword"/> then read the
    /// ones in use now. Null for fixed passwords; a copy that sets any password (<c>with { … }</c>) keeps all three fixed
    /// as they were at that moment.
    /// </summary>
    public ClusterSecret? Secret { get => _secret; init => _secret = value; }

    /// <summary>Password of the <c>postgres</c> superuser: <see cref="Secret"/>'s in use, or the fixed one.</summary>
    public string SuperuserPassword
    {
        get => _secret?.Password ?? _superuserPassword;
        init { Detach(); _superuserPassword = value; }
    }

    /// <summary>The replication role's password: derived from <see cref="Secret"/>'s in use, or the fixed one.</summary>
    public string ReplicationPassword
    {
        get => _secret?.ReplicationPassword ?? _replicationPassword;
        init { Detach(); _replicationPassword = value; }
    }

    /// <summary>The monitoring role's password: derived from the superuser's unless set.</summary>
    public string MonitorPassword
    {
        get => _monitorPassword ?? _secret?.MonitorPassword ?? DerivedPassword.Derive(SuperuserPassword, DerivedPassword.MonitorPurpose);
        init { Detach(); _monitorPassword = value; }
    }

    private void Detach()
    {
        if (_secret is not { } secret) return;
        (_superuserPassword, _replicationPassword, _monitorPassword) = (secret.Password, secret.ReplicationPassword, secret.MonitorPassword);
        _secret = null;
    }

    /// <summary>
    /// TLS for every connection to and between instances: the server's certificate and the CA that peers are
    /// verified against. Null leaves PostgreSQL's connections in clear text.
    /// </summary>
    public PostgresTls? Tls { get; init; }

    /// <summary>The superuser's name.</summary>
    public const string Superuser = "postgres";

    /// <summary>The replication role's name in production.</summary>
    public const string DefaultReplicationUser = "replicator";

    /// <summary>The role status reads run as: <c>LOGIN</c>, a member of <c>pg_monitor</c>, and allowed to read timeline
    /// history files (see <see cref="ApplianceRoles"/>).</summary>
    public const string MonitorUser = "appliance_monitor";

    /// <summary>
    /// The production credentials, from the cluster secret alone: the replication role <see cref="DefaultReplicationUser"/>
    /// with a password derived from it (<see cref="DerivedPassword"/>), so every node computes the same one and a standby's
    /// settings reveal nothing about the secret.
    /// </summary>
    public static ClusterCredentials FromSecret(string superuserPassword) => FromSecret(ClusterSecret.Fixed(superuserPassword));

    /// <summary>As <see cref="FromSecret(string)"/>, with passwords that follow <paramref name="secret"/> as it changes.</summary>
    public static ClusterCredentials FromSecret(ClusterSecret secret) =>
        new(secret.Password, DefaultReplicationUser, secret.ReplicationPassword) { Secret = secret };

    /// <summary>Equal when the passwords in use now, the replication role and the TLS files are: two secrets that give the
    /// same passwords are the same credentials.</summary>
    public bool Equals(ClusterCredentials? other) =>
        other is not null && SuperuserPassword == other.SuperuserPassword && ReplicationUser == other.ReplicationUser
        && ReplicationPassword == other.ReplicationPassword && MonitorPassword == other.MonitorPassword && Equals(Tls, other.Tls);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(SuperuserPassword, ReplicationUser, ReplicationPassword);

    /// <inheritdoc />
    public override string ToString() => $"ClusterCredentials {{ ReplicationUser = {ReplicationUser}, passwords hidden }}";
}

/// <summary>
/// The PEM files of an instance's TLS, readable by the OS user PostgreSQL runs as (the key with mode 0600, as
/// PostgreSQL demands). The server serves <see cref="CertFile"/>; every client of a peer (walreceiver,
/// pg_basebackup, pg_rewind, the driver) verifies the peer against <see cref="CaFile"/> (<c>sslmode=verify-ca</c>:
/// peers are addressed by IP, so the name is not checked).
/// </summary>
/// <param name="CertFile">The server's certificate.</param>
/// <param name="KeyFile">Its key.</param>
/// <param name="CaFile">The cluster's CA.</param>
public sealed record PostgresTls(string CertFile, string KeyFile, string CaFile)
{
    /// <summary>The files as <see cref="Install"/> puts them in <paramref name="directory"/>.</summary>
    public static PostgresTls In(string directory) =>
        new(Path.Combine(directory, "server.crt"), Path.Combine(directory, "server.key"), Path.Combine(directory, "ca.crt"));

    /// <summary>
    /// Copies the node's certificate, key and CA into <paramref name="directory"/> (mode 0700), owned by the OS user
    /// PostgreSQL runs as, the key with mode 0600: PostgreSQL refuses a key others may read, and as root the
    /// operator's own files may not be readable by postgres at all.
    /// </summary>
    /// <returns>The installed files.</returns>
    public static PostgresTls Install(string certFile, string keyFile, string caFile, string directory)
    {
        if (OperatingSystem.IsWindows()) throw new PlatformNotSupportedException("The PostgreSQL driver runs on Linux.");
        Directory.CreateDirectory(directory);
        File.SetUnixFileMode(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        PostgresOsUser.GiveToPostgres(directory);
        var installed = In(directory);
        foreach (var (from, to) in new[] { (certFile, installed.CertFile), (keyFile, installed.KeyFile), (caFile, installed.CaFile) })
        {
            // Private while still empty, as PrivateFile does, so the key is never readable by others.
            File.WriteAllBytes(to, []);
            File.SetUnixFileMode(to, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            PostgresOsUser.GiveToPostgres(to);
            File.WriteAllBytes(to, File.ReadAllBytes(from));
        }
        return installed;
    }
}

/// <summary>Server settings that need a restart to change.</summary>
/// <param name="SharedBuffers">shared_buffers, e.g. <c>128MB</c>.</param>
/// <param name="MaxConnections">max_connections.</param>
/// <param name="MaxWalSenders">max_wal_senders: one per downstream, plus clones and rewinds in progress.</param>
/// <param name="WalKeepSize">wal_keep_size (reloadable), e.g. <c>1GB</c>: how far a re-pointed standby may lag and still catch up.</param>
public sealed record ServerTuning(string SharedBuffers, int MaxConnections, int MaxWalSenders, string WalKeepSize)
{
    /// <summary>Production defaults.</summary>
    public static readonly ServerTuning Default = new("128MB", 100, 10, "1GB");
}

/// <summary>Deadlines for the driver's operations.</summary>
/// <param name="Start">From spawning the postmaster until it accepts connections.</param>
/// <param name="FastStop">How long a fast shutdown (SIGINT) may take before an immediate one (SIGQUIT).</param>
/// <param name="ImmediateStop">How long an immediate shutdown may take before SIGKILL.</param>
/// <param name="Reload">How long a SIGHUP may take to show on a new connection.</param>
/// <param name="Promote">How long <c>pg_promote</c> may take.</param>
/// <param name="Connect">Connect timeout for the driver's own connections.</param>
public sealed record DriverTimeouts(TimeSpan Start, TimeSpan FastStop, TimeSpan ImmediateStop, TimeSpan Reload,
    TimeSpan Promote, TimeSpan Connect)
{
    /// <summary>
    /// How long the status reports' kept monitoring session serves before a fresh login (<see cref="StatusSession"/>):
    /// a refused login is how a node learns that the superuser password was rotated, so this bounds how late it learns.
    /// </summary>
    public TimeSpan StatusSession { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Production defaults.</summary>
    public static readonly DriverTimeouts Default = new(
        Start: TimeSpan.FromSeconds(120), FastStop: TimeSpan.FromSeconds(30), ImmediateStop: TimeSpan.FromSeconds(10),
        Reload: TimeSpan.FromSeconds(10), Promote: TimeSpan.FromSeconds(60), Connect: TimeSpan.FromSeconds(5));
}
