namespace Appliance.Nodes.Postgres;

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
