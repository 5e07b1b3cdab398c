using System.Collections.Immutable;
using System.Globalization;
using System.Text;

namespace Appliance.Nodes.State;

/// <summary>
/// The authoritative cluster state: who is primary, sync and async, who is deposed, and what the sync must hold
/// before it may take over. Only the coordinator writes it, one compare-and-set per version.
/// </summary>
/// <remarks>
/// Immutable. The <see cref="Generation"/> changes whenever the primary or the sync changes; async-list, deposed
/// and freeze edits keep it. <see cref="Version"/> counts every write (it is the journal sequence number).
/// Equality compares the lists element by element.
/// </remarks>
public sealed record ClusterState
{
    /// <summary>The journal sequence number of this state: every write adds one.</summary>
    public required long Version { get; init; }

    /// <summary>Bumped on every change of primary or sync; starts at 1.</summary>
    public required long Generation { get; init; }

    /// <summary>The peer that serves writes.</summary>
    public required PeerId Primary { get; init; }

    /// <summary>The synchronous standby; null only in singleton mode.</summary>
    public PeerId? Sync { get; init; }

    /// <summary>The async chain in replication order: async[0] streams from the sync, async[i] from async[i-1].</summary>
    public ImmutableArray<PeerId> Async { get; init; } = [];

    /// <summary>Former primaries that must be rewound or rebuilt before they serve again.</summary>
    public ImmutableArray<PeerId> Deposed { get; init; } = [];

    /// <summary>The primary's WAL position when this generation was declared: the sync must reach it to take over.</summary>
    public Lsn InitWal { get; init; } = Lsn.Zero;

    /// <summary>
    /// The timeline history <see cref="InitWal"/> lies on: the sync must hold WAL up to initWal on this history, not
    /// just an LSN as large, to take over. Null in states written before histories were recorded (journals of
    /// earlier versions): the first new generation records one.
    /// </summary>
    public TimelineHistory? InitHistory { get; init; }

    /// <summary>
    /// The cluster's identity, drawn once at initial setup and kept by every later state. A node that holds data of
    /// another cluster refuses the state. Null in states written before it was recorded.
    /// </summary>
    public string? ClusterId { get; init; }

    /// <summary>Set while an operator (or singleton bootstrap) has frozen the cluster.</summary>
    public FreezeInfo? Freeze { get; init; }

    /// <summary>One-node write mode: the primary takes writes with no sync.</summary>
    public bool Singleton { get; init; }

    /// <summary>
    /// Placement mode: the number of instances an operator scaled the cluster to (<c>pg-1</c> … <c>pg-N</c>); null
    /// until the first scale, when the configured cluster size applies. Incarnations of instances above it are not
    /// taken into the chain.
    /// </summary>
    public int? Instances { get; init; }

    /// <summary>
    /// Peers an operator put in maintenance (<c>appliance maintenance on ID</c>): the rules treat them as gone, and their
    /// node leaves PostgreSQL to the operator until maintenance is off. Never the primary, the sync or a deposed peer.
    /// </summary>
    public ImmutableArray<string> Maintenance { get; init; } = [];

    /// <summary>A switchover an operator scheduled (<c>appliance switchover --at TIME</c>), carried out when due.</summary>
    public ScheduledSwitchover? ScheduledSwitchover { get; init; }

    /// <summary>
    /// Set in a standby cluster (<c>--standby-of</c>): the other cluster it follows. Its primary is then the standby
    /// leader, a PostgreSQL standby that streams from the source's primary and takes no writes; its sync and asyncs
    /// chain from it as usual. Null in a normal cluster.
    /// </summary>
    public StandbySource? StandbyOf { get; init; }

    /// <summary>True in a standby cluster: the primary is a standby leader that takes no writes.</summary>
    public bool IsStandbyCluster => StandbyOf is not null;

    /// <summary>True if <paramref name="peerId"/> is in maintenance.</summary>
    public bool InMaintenance(string peerId) => Maintenance.Contains(peerId);

    /// <summary>
    /// Cluster-wide PostgreSQL settings an operator set (<c>appliance config set</c>), by name; every node writes them
    /// into its configuration (<see cref="ClusterSettings"/>). Empty until the first <c>config set</c>. Changing them keeps
    /// the generation.
    /// </summary>
    public ImmutableSortedDictionary<string, string> Settings { get; init; } = NoSettings;

    /// <summary>No settings, ordered by ordinal name.</summary>
    public static readonly ImmutableSortedDictionary<string, string> NoSettings = ImmutableSortedDictionary.Create<string, string>(StringComparer.Ordinal);

    /// <summary>True while frozen.</summary>
    public bool IsFrozen => Freeze is not null;

    /// <summary>Every peer the state names, in role order: primary, sync, asyncs, deposed.</summary>
    public IEnumerable<PeerId> NamedPeers =>
        new[] { Primary }.Concat(Sync is null ? [] : [Sync]).Concat(Async).Concat(Deposed);

    /// <summary>True if the state gives <paramref name="peerId"/> any role, deposed included.</summary>
    public bool Names(string peerId) => NamedPeers.Any(p => p.Is(peerId));

    /// <summary>Finds a named peer by id.</summary>
    public PeerId? Find(string peerId) => NamedPeers.FirstOrDefault(p => p.Is(peerId));

    /// <summary>Index of <paramref name="peerId"/> in the async chain, or -1.</summary>
    public int AsyncIndexOf(string peerId)
    {
        for (var i = 0; i < Async.Length; i++)
            if (Async[i].Is(peerId)) return i;
        return -1;
    }

    /// <summary>True if <paramref name="peerId"/> is in the deposed list.</summary>
    public bool IsDeposed(string peerId) => Deposed.Any(p => p.Is(peerId));

    /// <summary>
    /// The role this state gives <paramref name="peerId"/>, with its upstream and downstream:
    /// primary → sync; sync → async[0], up to the primary; async[i] → async[i+1], up to async[i-1] or the sync.
    /// In singleton mode only the primary has a role.
    /// </summary>
    public RoleAssignment RoleOf(string peerId)
    {
        if (Primary.Is(peerId))
            return new RoleAssignment(PeerRole.Primary, null, Singleton ? null : Sync);
        if (IsDeposed(peerId))
            return RoleAssignment.Deposed;
        if (InMaintenance(peerId))
            return RoleAssignment.InMaintenance;
        if (Singleton || Sync is null)
            return RoleAssignment.Unassigned;
        if (Sync.Is(peerId))
            return new RoleAssignment(PeerRole.Sync, Primary, Async.IsEmpty ? null : Async[0]);
        var i = AsyncIndexOf(peerId);
        if (i < 0)
            return RoleAssignment.Unassigned;
        var upstream = i == 0 ? Sync : Async[i - 1];
        var downstream = i + 1 < Async.Length ? Async[i + 1] : null;
        return new RoleAssignment(PeerRole.Async, upstream, downstream, i);
    }

    /// <summary>Every structural problem of this state, each as a sentence; empty when the state is valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (Version < 1) problems.Add($"version is {Version}; the first state has version 1");
        if (Generation < 1) problems.Add($"generation is {Generation}; generations start at 1");
        if (Primary is null) problems.Add("there is no primary");
        if (Singleton)
        {
            if (Sync is not null) problems.Add($"singleton mode has no sync, but the state names sync {Sync.Id}");
            if (!Async.IsEmpty) problems.Add($"singleton mode has no asyncs, but the state lists {Ids(Async)}");
        }
        else if (Sync is null)
        {
            problems.Add("there is no sync; only a singleton cluster runs without one");
        }
        if (StandbyOf is not null && Singleton)
            problems.Add("a standby cluster does not run in singleton mode");
        if (Freeze is not null && string.IsNullOrWhiteSpace(Freeze.Reason))
            problems.Add("the freeze has no reason");

        if (Primary is not null && Sync is not null && Primary.Is(Sync))
            problems.Add($"peer {Primary.Id} is both primary and sync");
        foreach (var a in Async)
        {
            if (Primary is not null && Primary.Is(a)) problems.Add($"peer {a.Id} is both primary and async");
            if (Sync is not null && Sync.Is(a)) problems.Add($"peer {a.Id} is both sync and async");
        }
        foreach (var d in Deposed)
        {
            if (Primary is not null && Primary.Is(d)) problems.Add($"peer {d.Id} is both primary and deposed");
            if (Sync is not null && Sync.Is(d)) problems.Add($"peer {d.Id} is both sync and deposed");
            if (Async.Any(a => a.Is(d))) problems.Add($"deposed peer {d.Id} is in the async list");
        }
        foreach (var m in Maintenance.Where(m => Primary?.Is(m) == true || Sync?.Is(m) == true || Async.Any(a => a.Is(m)) || IsDeposed(m)))
            problems.Add($"peer {m} is in maintenance and also has a role");
        foreach (var dup in Async.GroupBy(p => p.Id).Where(g => g.Count() > 1))
            problems.Add($"peer {dup.Key} appears {dup.Count()} times in the async list");
        foreach (var dup in Deposed.GroupBy(p => p.Id).Where(g => g.Count() > 1))
            problems.Add($"peer {dup.Key} appears {dup.Count()} times in the deposed list");
        problems.AddRange(ClusterSettings.Problems(Settings));
        return problems;
    }

    /// <summary>Throws <see cref="InvalidClusterStateException"/> if <see cref="Validate"/> finds a problem.</summary>
    public ClusterState EnsureValid()
    {
        var problems = Validate();
        return problems.Count == 0 ? this : throw new InvalidClusterStateException(problems);
    }

    /// <summary>Compact form for logs and tests: <c>v3 g2 P=a S=b A=[c,d] D=[e] W=0/A frozen(reason)</c>.</summary>
    public string ToShortString()
    {
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"g{Generation} P={Primary.Id} S={Sync?.Id ?? "-"} A=[{Ids(Async)}] D=[{Ids(Deposed)}] W={InitWal}");
        if (Singleton) sb.Append(" singleton");
        if (Freeze is not null) sb.Append(CultureInfo.InvariantCulture, $" frozen({Freeze.Reason})");
        if (Instances is { } n) sb.Append(CultureInfo.InvariantCulture, $" instances={n}");
        if (!Maintenance.IsEmpty) sb.Append(CultureInfo.InvariantCulture, $" maintenance=[{string.Join(",", Maintenance)}]");
        if (ScheduledSwitchover is { } planned) sb.Append(CultureInfo.InvariantCulture, $" switchover@{planned.At:u}->{planned.To ?? "sync"}");
        if (!Settings.IsEmpty) sb.Append(CultureInfo.InvariantCulture, $" settings={Settings.Count}");
        if (StandbyOf is { } source) sb.Append(CultureInfo.InvariantCulture, $" standby-of={source}");
        return sb.ToString();
    }

    private static string Ids(IEnumerable<PeerId> peers) => string.Join(",", peers.Select(p => p.Id));

    /// <inheritdoc />
    public bool Equals(ClusterState? other) =>
        other is not null
        && Version == other.Version
        && Generation == other.Generation
        && Equals(Primary, other.Primary)
        && Equals(Sync, other.Sync)
        && Async.SequenceEqual(other.Async)
        && Deposed.SequenceEqual(other.Deposed)
        && InitWal == other.InitWal
        && Equals(InitHistory, other.InitHistory)
        && ClusterId == other.ClusterId
        && Equals(Freeze, other.Freeze)
        && Singleton == other.Singleton
        && Instances == other.Instances
        && Maintenance.SequenceEqual(other.Maintenance)
        && Equals(ScheduledSwitchover, other.ScheduledSwitchover)
        && Settings.SequenceEqual(other.Settings)
        && Equals(StandbyOf, other.StandbyOf);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Version, Generation, Primary, Sync, Async.Length, InitWal, Singleton);

    /// <inheritdoc />
    public override string ToString() => $"v{Version} {ToShortString()}";
}
