using System.Text.Json.Serialization;
using Appliance.Nodes.State;

namespace Appliance.Host.Api;

// The JSON forms of the HTTP API (DESIGN §7), this record and the other *Dto, *Request and *Patch records of this
// folder, are written with ApiJson's options; the CLI reads the same types back.

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
