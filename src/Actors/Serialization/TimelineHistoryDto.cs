using Appliance.Nodes.State;

namespace Appliance.Actors.Serialization;

/// <summary>The wire and stored shape of a <see cref="TimelineHistory"/>: the timeline, and its history file's entries.</summary>
/// <param name="Timeline">The timeline.</param>
/// <param name="Past">The earlier timelines, oldest first, each with where it was left.</param>
internal sealed record TimelineHistoryDto(int Timeline, IReadOnlyList<TimelineSwitch> Past);
