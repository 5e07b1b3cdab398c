namespace Appliance.Nodes.State;

/// <summary>One line of a PostgreSQL timeline history file: <paramref name="Timeline"/> was left at <paramref name="SwitchPoint"/>.</summary>
/// <param name="Timeline">The earlier timeline.</param>
/// <param name="SwitchPoint">Where the next timeline forked off it: WAL of this timeline beyond it is on no later timeline.</param>
public readonly record struct TimelineSwitch(int Timeline, Lsn SwitchPoint);
