using Appliance.Nodes.Backup;

namespace Appliance.Host.Api;

/// <summary><c>POST /backup</c>: <c>{"type":"full","from":"standby"}</c>.</summary>
/// <param name="Type">full, diff or incr; default incr (pgBackRest makes it a full one when there is none yet).</param>
/// <param name="From">auto (default), standby or primary: see <see cref="BackupSource"/>.</param>
public sealed record BackupRequest(string? Type, string? From = null);
