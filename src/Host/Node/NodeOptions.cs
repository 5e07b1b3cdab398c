using Appliance.Actors.Instance;
using Appliance.Nodes.State;

namespace Appliance.Host.Node;

/// <summary>Everything one node process needs, from flags, a config file or <c>APPLIANCE_*</c> variables (DESIGN §7).</summary>
public sealed record NodeOptions
{
    /// <summary>
    /// Single-instance mode: the instance id (PostgreSQL's application_name and the peer id in the state). Placement
    /// mode (<see cref="IsPlacement"/>): the host's name; its instances are peers <c>pg-N.NAME</c>.
    /// </summary>
    public required string Name { get; init; }

    /// <summary>The address this node binds and advertises for Akka remoting, PostgreSQL and HTTP alike.</summary>
    public string Host { get; init; } = "127.0.0.1";

    /// <summary>Akka remoting port.</summary>
    public required int AkkaPort { get; init; }

    /// <summary>HTTP API port.</summary>
    public int HttpPort { get; init; }

    /// <summary>PostgreSQL port.</summary>
    public required int PgPort { get; init; }

    /// <summary>The node's directory; PostgreSQL's data directory is <c>pgdata</c> inside it.</summary>
    public required string DataDir { get; init; }

    /// <summary>Seed nodes as <c>host:port</c> of their Akka remoting; the same list, in the same order, on every node.</summary>
    public IReadOnlyList<string> SeedNodes { get; init; } = [];

    /// <summary><c>sqlite:PATH</c> or <c>postgres:CONNSTRING</c>: where the coordinator keeps the cluster state.</summary>
    public required string StateStore { get; init; }

    /// <summary>Password of the <c>postgres</c> superuser for TCP clients; the same on every node.</summary>
    public required string PgPassword { get; init; }

    /// <summary>
    /// The file <see cref="PgPassword"/> came from (<c>--pg-password-file</c>), read again when PostgreSQL refuses the
    /// password in use: during a rotation it holds the new password on its first line and the old one on the second.
    /// </summary>
    public string? PgPasswordFile { get; init; }

    private Appliance.Nodes.Postgres.ClusterSecret? _secret;

    /// <summary>The cluster secret this node uses, one object for all its instances and its API (see <see cref="PgPasswordFile"/>).</summary>
    public Appliance.Nodes.Postgres.ClusterSecret Secret => _secret ??= new Appliance.Nodes.Postgres.ClusterSecret(PasswordCandidates);

    private IReadOnlyList<string> PasswordCandidates()
    {
        if (PgPasswordFile is null) return [PgPassword];
        try { return NodeOptionsLoader.PasswordLines(File.ReadAllText(PgPasswordFile)); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NodeConfigurationException)
        {
            // The file was fine at start; an operator editing it now must not take the node's password away.
            return [PgPassword];
        }
    }

    /// <summary>The number of instances the cluster aims for.</summary>
    public int ClusterSize { get; init; } = 3;

    /// <summary>PostgreSQL's bin directory; null picks the newest installed.</summary>
    public string? BinDir { get; init; }

    /// <summary>Normal or singleton mode.</summary>
    public ClusterMode Mode { get; init; } = ClusterMode.Normal;

    /// <summary>
    /// The other cluster this one follows as a standby cluster (<c>--standby-of</c>); null for a normal cluster. Only a
    /// new cluster's first state takes it: a node of a running cluster ignores it.
    /// </summary>
    public StandbySource? StandbyOf { get; init; }

    /// <summary>
    /// pgBackRest options of the repository <c>--standby-from-repo</c> names (<c>--standby-repo-option</c>), such as an
    /// object store's; kept on this node only, never in the state.
    /// </summary>
    public IReadOnlyList<Appliance.Nodes.Backup.BackupOption> StandbyRepoOptions { get; init; } = [];

    /// <summary>What happens to a deposed primary.</summary>
    public RejoinPolicy Rejoin { get; init; } = RejoinPolicy.Auto;

    /// <summary>Extra client networks (CIDR) admitted to PostgreSQL for ordinary connections.</summary>
    public IReadOnlyList<string> ClientNetworks { get; init; } = [];

    /// <summary>Networks (CIDR) of standby clusters that follow this cluster (<c>--standby-networks</c>), admitted to replicate.</summary>
    public IReadOnlyList<string> StandbyNetworks { get; init; } = [];

    /// <summary>
    /// A file (mode 0600 or stricter) holding the token that every change over HTTP must carry as
    /// <c>Authorization: Bearer</c>; null accepts changes from loopback only.
    /// </summary>
    public string? ApiTokenFile { get; init; }

    /// <summary>A file (mode 0600 or stricter) holding the token that the cluster-wide reads need; null leaves them open.</summary>
    public string? ApiReadTokenFile { get; init; }

    /// <summary>
    /// This node's certificate, key and the cluster's CA (<c>--tls-cert</c>, <c>--tls-key</c>, <c>--tls-ca</c>): HTTPS
    /// on the API, mutual TLS between Akka members and TLS for PostgreSQL. Null: all three planes in clear text.
    /// </summary>
    public Tls.TlsFiles? Tls { get; init; }

    /// <summary>Exit when the process with this id is gone (the demo passes its own, so no node outlives it).</summary>
    public int? ExitWithParent { get; init; }

    /// <summary>The Akka system name, the same on every node, and the cluster's pgBackRest stanza.</summary>
    public string SystemName { get; init; } = DefaultSystemName;

    /// <summary>The <see cref="SystemName"/> every cluster has (no flag changes it).</summary>
    public const string DefaultSystemName = "appliance";

    /// <summary>Extra HOCON layered over the embedded reference configurations (<see cref="HostConfig.Reference"/>); tests use it to shorten timings.</summary>
    public string? ExtraHocon { get; init; }

    /// <summary>
    /// Placement mode: PostgreSQL port of instance <c>pg-1</c> on this host; <c>pg-N</c> listens on this + N − 1.
    /// Null in single-instance mode.
    /// </summary>
    public int? PgBasePort { get; init; }

    /// <summary>This node's tags (<c>--tag nofailover,noloadbalance</c>), sent to the coordinator in every report.</summary>
    public PeerTags Tags { get; init; }

    /// <summary>A shell command run after every role change (<c>--on-role-change</c>), with new role, old role, generation.</summary>
    public string? OnRoleChange { get; init; }

    /// <summary>How long <see cref="OnRoleChange"/> may run before it is killed (<c>--on-role-change-timeout</c>, seconds).</summary>
    public TimeSpan OnRoleChangeTimeout { get; init; } = RoleChangeHook.DefaultTimeout;

    /// <summary>
    /// WAL archiving and backups with pgBackRest (<c>--backup-repo</c>, <c>--backup-option</c>); null: none. Every
    /// instance archives while it is primary, into this repository, under the stanza <see cref="SystemName"/>.
    /// </summary>
    public BackupRepository? Backup { get; init; }

    /// <summary>Placement mode: the directory under which each instance placed here gets <c>pg-N/pgdata</c>.</summary>
    public string? DataRoot { get; init; }

    /// <summary>
    /// Placement mode: instances are sharded entities that Akka.Cluster.Sharding places on hosts (at most one per
    /// host unless co-location is allowed). Chosen by giving <c>--pg-base-port</c> and <c>--data-root</c>.
    /// </summary>
    public bool IsPlacement => PgBasePort is not null && DataRoot is not null;

    /// <summary>PostgreSQL's data directory.</summary>
    public string PgDataDirectory => Path.Combine(DataDir, "pgdata");

    /// <summary>This node as a peer of the cluster state.</summary>
    public PeerId Peer => new(Name, Host, PgPort);

    /// <summary>The scheme of this node's HTTP API: <c>https</c> with TLS.</summary>
    public string HttpScheme => Tls is null ? "http" : "https";

    /// <summary>The seed nodes as Akka addresses.</summary>
    public IEnumerable<string> SeedAddresses => SeedNodes.Select(s => $"{AkkaProtocol}://{SystemName}@{s}");

    /// <summary>Akka remoting's protocol: DotNetty names its TLS transport <c>akka.ssl.tcp</c>.</summary>
    public string AkkaProtocol => Tls is null ? "akka.tcp" : "akka.ssl.tcp";
}
