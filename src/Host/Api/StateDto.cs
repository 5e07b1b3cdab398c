using System.Text.Json;
using System.Text.Json.Serialization;
using Appliance.Actors.Protocol;
using Appliance.Nodes.State;

namespace Appliance.Host.Api;

// The JSON forms of the HTTP API (DESIGN §7), written with ApiJson's options; the CLI reads the same types back.

/// <summary>A peer of the cluster state.</summary>
/// <param name="Id">The instance id (PostgreSQL's application_name).</param>
/// <param name="Host">Where its PostgreSQL listens.</param>
/// <param name="Port">Its PostgreSQL port.</param>
public sealed record PeerDto(string Id, string Host, int Port)
{
    /// <summary>From the model.</summary>
    public static PeerDto? From(PeerId? peer) => peer is null ? null : new(peer.Id, peer.Host, peer.Port);
}

/// <summary>A scheduled switchover.</summary>
/// <param name="At">When it is due.</param>
/// <param name="To">The peer to move up; null for the sync.</param>
/// <param name="Since">When it was scheduled.</param>
public sealed record ScheduledSwitchoverDto(DateTimeOffset At, string? To, DateTimeOffset Since);

/// <summary>A freeze.</summary>
/// <param name="Reason">Why.</param>
/// <param name="Since">Since when.</param>
public sealed record FreezeDto(string Reason, DateTimeOffset Since);

/// <summary>The cluster state as <c>GET /state</c> serves it.</summary>
/// <param name="Version">Journal sequence number.</param>
/// <param name="Generation">Bumped on every change of primary or sync.</param>
/// <param name="Primary">The primary.</param>
/// <param name="Sync">The sync, null in singleton mode.</param>
/// <param name="Async">The async chain in replication order.</param>
/// <param name="Deposed">Former primaries that must be rewound or rebuilt.</param>
/// <param name="InitWal">The position the generation was declared at.</param>
/// <param name="Freeze">The freeze, if frozen.</param>
/// <param name="Singleton">One-node write mode.</param>
/// <param name="Instances">Placement mode: the number of instances the cluster was scaled to (absent until the first scale).</param>
/// <param name="Maintenance">Peers in maintenance (ids); absent when none.</param>
/// <param name="ScheduledSwitchover">The scheduled switchover, if any.</param>
/// <param name="Settings">Cluster-wide PostgreSQL settings (absent until the first <c>config set</c>).</param>
/// <param name="StandbyOf">A standby cluster's source (<c>HOST:PORT,…</c>): its primary is then the standby leader; absent in a normal cluster.</param>
public sealed record StateDto(long Version, long Generation, PeerDto? Primary, PeerDto? Sync, IReadOnlyList<PeerDto> Async,
    IReadOnlyList<PeerDto> Deposed, string InitWal, FreezeDto? Freeze, bool Singleton,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] int? Instances = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<string>? Maintenance = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] ScheduledSwitchoverDto? ScheduledSwitchover = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyDictionary<string, string>? Settings = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? StandbyOf = null)
{
    /// <summary>From the model.</summary>
    public static StateDto From(ClusterState s) => new(s.Version, s.Generation, PeerDto.From(s.Primary), PeerDto.From(s.Sync),
        [.. s.Async.Select(p => PeerDto.From(p)!)], [.. s.Deposed.Select(p => PeerDto.From(p)!)], s.InitWal.ToString(),
        s.Freeze is { } f ? new FreezeDto(f.Reason, f.Since) : null, s.Singleton, s.Instances,
        s.Maintenance.IsEmpty ? null : [.. s.Maintenance],
        s.ScheduledSwitchover is { } planned ? new ScheduledSwitchoverDto(planned.At, planned.To, planned.Since) : null,
        s.Settings.IsEmpty ? null : s.Settings, s.StandbyOf?.ToString());

    /// <summary>The role this state gives <paramref name="id"/>, as the API spells it.</summary>
    public string RoleOf(string id) =>
        Primary?.Id == id ? "primary"
        : Sync?.Id == id ? "sync"
        : Async.Any(p => p.Id == id) ? "async"
        : Deposed.Any(p => p.Id == id) ? "deposed"
        : Maintenance?.Contains(id) == true ? "maintenance"
        : "unassigned";

    /// <summary>Every named peer in role order.</summary>
    [JsonIgnore]
    public IEnumerable<PeerDto> Peers =>
        new[] { Primary, Sync }.OfType<PeerDto>().Concat(Async).Concat(Deposed);
}

/// <summary>This node, as <c>GET /status</c> (and every role check) serves it.</summary>
/// <param name="Id">Instance id.</param>
/// <param name="Host">Address.</param>
/// <param name="PgPort">PostgreSQL port.</param>
/// <param name="Role">The role PostgreSQL plays now.</param>
/// <param name="AssignedRole">The role the newest state gives this node.</param>
/// <param name="StateVersion">Version of the newest state held; null before the first.</param>
/// <param name="AppliedVersion">Newest state version whose role is applied.</param>
/// <param name="Generation">Generation of the newest state held.</param>
/// <param name="PostgresRunning">PostgreSQL answers.</param>
/// <param name="ReadWrite">A primary that takes writes.</param>
/// <param name="SelfFenced">A primary that lost the coordinator and fenced itself.</param>
/// <param name="Streaming">A standby whose WAL receiver streams now: a sync or async from its upstream, a standby leader from
/// its source's primary. False on a primary, on a standby whose receiver has stopped or not yet connected, and on a
/// standby leader that replays its source's archive.</param>
/// <param name="Timeline">PostgreSQL's timeline.</param>
/// <param name="WalPosition">The furthest position held (current on a primary, replayed or received on a standby).</param>
/// <param name="ReceivedLsn">Received (standby).</param>
/// <param name="ReplayedLsn">Replayed (standby).</param>
/// <param name="LagBytes">How far behind the primary, in bytes; 0 on the primary; null if unknown.</param>
/// <param name="CloneProgress">Percent of a clone in flight.</param>
/// <param name="LastError">The last failure of the role, or what it waits for (an upstream to clone from, a primary's timeline), if not applied since.</param>
/// <param name="HostPid">This process.</param>
/// <param name="PostmasterPid">PostgreSQL's postmaster, when running.</param>
/// <param name="StateRefused">Why the node refuses the coordinator's state, if it does.</param>
/// <param name="Maintenance">An operator put this node in maintenance: the node leaves its PostgreSQL alone.</param>
/// <param name="Tags">This node's tags (<c>--tag</c>): <c>nofailover</c>, <c>noloadbalance</c>.</param>
/// <param name="PendingRestart">PostgreSQL holds a setting whose new value needs a restart (<c>appliance restart --pending</c>).</param>
/// <param name="PendingRestartSettings">Which settings (<c>pg_settings.pending_restart</c>).</param>
/// <param name="Backups">The cluster's backups as this node last heard of them; absent without <c>--backup-repo</c>.</param>
/// <param name="StandbyOf">In a standby cluster, the source it follows (<c>HOST:PORT,…</c>); absent in a normal cluster. With
/// role <c>primary</c> this node is the standby leader: a standby of the source that takes no writes.</param>
public sealed record StatusDto(string Id, string Host, int PgPort, string Role, string AssignedRole, long? StateVersion,
    long AppliedVersion, long? Generation, bool PostgresRunning, bool ReadWrite, bool SelfFenced, bool Streaming,
    int? Timeline, string? WalPosition, string? ReceivedLsn, string? ReplayedLsn, ulong? LagBytes, double? CloneProgress,
    string? LastError, int HostPid, int? PostmasterPid, string? StateRefused = null, bool Maintenance = false,
    IReadOnlyList<string>? Tags = null, bool PendingRestart = false, IReadOnlyList<string>? PendingRestartSettings = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] BackupStateDto? Backups = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? StandbyOf = null)
{
    /// <summary>True on a standby cluster's leader: it plays the primary's part, as a standby of the source.</summary>
    [JsonIgnore]
    public bool IsStandbyLeader => StandbyOf is not null && Role == "primary" && AssignedRole == "primary";
}

/// <summary>A downstream as its upstream sees it in <c>pg_stat_replication</c>.</summary>
/// <param name="Name">application_name.</param>
/// <param name="State">walsender state.</param>
/// <param name="SyncState">sync_state.</param>
/// <param name="FlushLsn">Flushed up to.</param>
/// <param name="ReplayLsn">Replayed up to.</param>
/// <param name="LagBytes">Replay lag behind the upstream.</param>
public sealed record DownstreamDto(string Name, string State, string SyncState, string? FlushLsn, string? ReplayLsn, ulong LagBytes);

/// <summary>One peer as the answering node sees it over SQL.</summary>
/// <param name="Id">Instance id.</param>
/// <param name="Host">Address.</param>
/// <param name="Port">PostgreSQL port.</param>
/// <param name="Role">Its role in the state.</param>
/// <param name="Upstream">Who it streams from.</param>
/// <param name="Reachable">PostgreSQL answered.</param>
/// <param name="Error">Why not.</param>
/// <param name="ReadWrite">Takes writes.</param>
/// <param name="InRecovery">A standby.</param>
/// <param name="Timeline">Timeline.</param>
/// <param name="WalPosition">Furthest position held.</param>
/// <param name="LagBytes">Behind the primary, bytes (null if unknown).</param>
/// <param name="Downstreams">Its walsenders.</param>
/// <param name="PendingRestart">Settings its PostgreSQL takes only at a restart.</param>
/// <param name="XactCommit">Transactions committed on it (<c>pg_stat_database.xact_commit</c> summed over its databases);
/// the dashboard charts its differences as commits per second. Null when it did not answer.</param>
public sealed record PeerViewDto(string Id, string Host, int Port, string Role, string? Upstream, bool Reachable, string? Error,
    bool ReadWrite, bool InRecovery, int? Timeline, string? WalPosition, ulong? LagBytes, IReadOnlyList<DownstreamDto> Downstreams,
    IReadOnlyList<string>? PendingRestart = null, long? XactCommit = null);

/// <summary>Why the coordinator is not changing the state although something is wrong.</summary>
/// <param name="Reason">The rule's reason.</param>
/// <param name="Detail">A sentence for operators.</param>
public sealed record RefusalDto(string Reason, string Detail);

/// <summary><c>GET /cluster</c>: the state, every peer probed, and the coordinator's last refusal.</summary>
/// <param name="State">The newest state the answering node holds; null before setup.</param>
/// <param name="Peers">Each named peer, in role order.</param>
/// <param name="LastRefusal">The coordinator's last refusal, if any; null also when the coordinator did not answer.</param>
/// <param name="CoordinatorReachable">The coordinator answered.</param>
/// <param name="AnsweredBy">The node that answered.</param>
/// <param name="Instances">
/// Placement mode: the number of instances the cluster is configured to run (<c>pg-1</c> … <c>pg-N</c>); null in
/// single-instance mode.
/// </param>
/// <param name="StateFromStore">
/// The state was read from the state store: the coordinator did not answer and the answering node has seen no state
/// since it started, so it is the last state written, not a live one.
/// </param>
/// <param name="StateRefused">Why the answering node refuses the coordinator's state (another cluster's, or older than
/// one it played), if it does.</param>
/// <param name="Tags">Each tagged peer's tags (<c>nofailover</c>, <c>noloadbalance</c>) as its node reported them to the
/// coordinator; absent when none is tagged or the coordinator does not answer.</param>
/// <param name="CoordinatorPeers">The peers on the host that runs the coordinator (the cluster's oldest member); absent
/// when the coordinator does not answer. <c>relieve-host-after</c> keeps the primary and sync off that host.</param>
/// <param name="Backups">The cluster's backups as the answering node last heard of them; absent without <c>--backup-repo</c>.</param>
public sealed record ClusterViewDto(StateDto? State, IReadOnlyList<PeerViewDto> Peers, RefusalDto? LastRefusal,
    bool CoordinatorReachable, string AnsweredBy, int? Instances = null, bool StateFromStore = false, string? StateRefused = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyDictionary<string, IReadOnlyList<string>>? Tags = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<string>? CoordinatorPeers = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] BackupStateDto? Backups = null);

/// <summary>One entry of <c>GET /history</c>.</summary>
/// <param name="Version">State version.</param>
/// <param name="Generation">Generation.</param>
/// <param name="At">When it was written.</param>
/// <param name="Reason">Why (the rule).</param>
/// <param name="Detail">A sentence for operators.</param>
/// <param name="State">The state written.</param>
/// <param name="WriteOutage">For a failover or switchover, how long writes stopped as the coordinator measured it from
/// the nodes' reports; absent when not measured.</param>
public sealed record HistoryEntryDto(long Version, long Generation, DateTimeOffset At, string Reason, string Detail, StateDto State,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] WriteOutageDto? WriteOutage = null)
{
    /// <summary>From the protocol, with the entry's measured outage when <paramref name="outages"/> holds one.</summary>
    public static HistoryEntryDto From(ClusterStateProtocol.StateRecorded r, IReadOnlyDictionary<long, WriteOutageProtocol.Measured>? outages = null) =>
        new(r.State.Version, r.State.Generation, r.At, r.Reason.ToString(), r.Detail, StateDto.From(r.State),
            outages is not null && outages.TryGetValue(r.State.Version, out var outage) ? WriteOutageDto.From(outage) : null);
}

/// <summary>A history entry's write outage, measured by the coordinator from the nodes' reports.</summary>
/// <param name="Kind"><c>Failover</c> or <c>Switchover</c>.</param>
/// <param name="Ms">How long writes stopped, in milliseconds.</param>
/// <param name="StartedAt">When writes stopped, as far as the coordinator could tell.</param>
/// <param name="EndedAt">When the new primary's node reported it takes writes.</param>
/// <param name="MeasuredFrom">What the start is: <c>LastReport</c> (the lost primary's last report), <c>PostgresDown</c>,
/// <c>CoordinatorStart</c> (the coordinator moved with the lost primary), <c>FirstFence</c> (a switchover's fence) or
/// <c>StateWritten</c>.</param>
/// <param name="LowerBound">True when writes stopped earlier than <paramref name="StartedAt"/> (<c>CoordinatorStart</c>).</param>
public sealed record WriteOutageDto(string Kind, long Ms, DateTimeOffset StartedAt, DateTimeOffset EndedAt, string MeasuredFrom, bool LowerBound)
{
    /// <summary>From the protocol.</summary>
    public static WriteOutageDto From(WriteOutageProtocol.Measured m) =>
        new(m.Kind.ToString(), (long)Math.Round(m.Length.TotalMilliseconds), m.StartedAt, m.EndedAt, m.From.ToString(), m.From == WriteOutageStart.CoordinatorStart);
}

/// <summary>The answer to a mutating request.</summary>
/// <param name="Accepted">True if applied.</param>
/// <param name="Reason">The transition or refusal reason.</param>
/// <param name="Detail">A sentence for the operator.</param>
/// <param name="State">The state written, when accepted.</param>
public sealed record CommandResultDto(bool Accepted, string Reason, string Detail, StateDto? State);

/// <summary>Body of <c>POST /freeze</c>.</summary>
/// <param name="Reason">Why the cluster is frozen.</param>
/// <param name="Generation">Apply only at this generation.</param>
public sealed record FreezeRequest(string? Reason, long? Generation);

/// <summary>Body of <c>POST /switchover</c>.</summary>
/// <param name="To">The peer to move up; null for the sync.</param>
/// <param name="Generation">Apply only at this generation.</param>
/// <param name="At">Schedule it for this time (kept in the cluster state) instead of switching over now.</param>
/// <param name="Cancel">Cancel the scheduled switchover instead.</param>
public sealed record SwitchoverRequest(string? To, long? Generation, DateTimeOffset? At = null, bool? Cancel = null);

/// <summary>Body of <c>POST /maintenance/{id}</c>.</summary>
/// <param name="On">True to start maintenance, false to end it.</param>
public sealed record MaintenanceRequest(bool? On);

/// <summary>Body of <c>POST /failover</c>.</summary>
/// <param name="To">The peer to make primary.</param>
/// <param name="AcceptDataLoss">Must be true: the operator accepts losing acknowledged writes only the lost peers hold.</param>
public sealed record FailoverRequest(string? To, bool? AcceptDataLoss);

/// <summary>Body of <c>POST /scale</c>.</summary>
/// <param name="Instances">The new number of instances.</param>
/// <param name="Force">Go below the minimum (3, or 1 in singleton mode).</param>
/// <param name="Generation">The generation the operator saw, if the command is bound to one.</param>
public sealed record ScaleRequest(int? Instances, bool? Force, long? Generation);

/// <summary>Body of <c>POST /rotate-password</c>.</summary>
/// <param name="Role"><c>superuser</c> or <c>replication</c>.</param>
public sealed record RotatePasswordRequest(string? Role);
