using Appliance.Nodes.State;

namespace Appliance.Actors.Serialization;

/// <summary>
/// Reads and writes <see cref="ClusterState"/> through <see cref="ClusterStateDto"/>. It does not validate: a stored
/// state was valid when written, and recovery must not fail if validation rules tighten later.
/// </summary>
internal sealed class ClusterStateJsonConverter : DtoJsonConverter<ClusterState, ClusterStateDto>
{
    protected override ClusterStateDto ToDto(ClusterState s) =>
        new(s.Version, s.Generation, s.Primary, s.Sync, s.Async, s.Deposed, s.InitWal, s.Freeze, s.Singleton, s.Instances, s.InitHistory, s.ClusterId,
            s.Maintenance.IsEmpty ? null : s.Maintenance, s.ScheduledSwitchover,
            s.Settings.IsEmpty ? null : s.Settings, s.StandbyOf?.ToString());

    protected override ClusterState FromDto(ClusterStateDto d) => new()
    {
        Version = d.Version,
        Generation = d.Generation,
        Primary = d.Primary,
        Sync = d.Sync,
        Async = [.. d.Async],
        Deposed = [.. d.Deposed],
        InitWal = d.InitWal,
        Freeze = d.Freeze,
        Singleton = d.Singleton,
        Instances = d.Instances,
        InitHistory = d.InitHistory,
        ClusterId = d.ClusterId,
        Maintenance = d.Maintenance is null ? [] : [.. d.Maintenance],
        ScheduledSwitchover = d.ScheduledSwitchover,
        Settings = d.Settings is null ? ClusterState.NoSettings : ClusterState.NoSettings.AddRange(d.Settings),
        StandbyOf = d.StandbyOf is null ? null : StandbySource.Parse(d.StandbyOf),
    };
}
