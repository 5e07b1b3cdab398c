namespace Appliance.Host.Api;

/// <summary>A scheduled switchover.</summary>
/// <param name="At">When it is due.</param>
/// <param name="To">The peer to move up; null for the sync.</param>
/// <param name="Since">When it was scheduled.</param>
public sealed record ScheduledSwitchoverDto(DateTimeOffset At, string? To, DateTimeOffset Since);
