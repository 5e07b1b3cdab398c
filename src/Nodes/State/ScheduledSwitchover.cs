namespace Appliance.Nodes.State;

/// <summary>A switchover an operator scheduled: kept in the cluster state so that a new coordinator carries it out too.</summary>
/// <param name="At">When it is due.</param>
/// <param name="To">The peer to move up, or null for the sync (which becomes primary).</param>
/// <param name="Since">When it was scheduled.</param>
public sealed record ScheduledSwitchover(DateTimeOffset At, string? To, DateTimeOffset Since);
