using System.Text.Json.Serialization;

namespace Appliance.Host.Api;

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
