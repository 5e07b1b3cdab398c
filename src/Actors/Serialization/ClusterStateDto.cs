using System.Text.Json.Serialization;
using Appliance.Nodes.State;

namespace Appliance.Actors.Serialization;

/// <summary>
/// The stored shape of a <see cref="ClusterState"/> (v1): its fields only, none of the derived properties
/// (<see cref="ClusterState.IsFrozen"/>, <see cref="ClusterState.NamedPeers"/>) that writing the record directly would add.
/// <c>initHistory</c> was added later and is optional: a state stored before it reads with none, which the rules
/// take as "no history recorded yet" for that one generation. <c>maintenance</c>, <c>scheduledSwitchover</c>,
/// <c>settings</c> and <c>standbyOf</c> (a standby cluster's source, as <c>HOST:PORT,…</c>) are optional too, and written
/// only when set.
/// </summary>
internal sealed record ClusterStateDto(
    long Version,
    long Generation,
    PeerId Primary,
    PeerId? Sync,
    IReadOnlyList<PeerId> Async,
    IReadOnlyList<PeerId> Deposed,
    Lsn InitWal,
    FreezeInfo? Freeze,
    bool Singleton,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] int? Instances = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] TimelineHistory? InitHistory = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? ClusterId = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<string>? Maintenance = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] ScheduledSwitchover? ScheduledSwitchover = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyDictionary<string, string>? Settings = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? StandbyOf = null);
