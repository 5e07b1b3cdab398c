namespace Appliance.Host.Api;

/// <summary>Body of <c>POST /switchover</c>.</summary>
/// <param name="To">The peer to move up; null for the sync.</param>
/// <param name="Generation">Apply only at this generation.</param>
/// <param name="At">Schedule it for this time (kept in the cluster state) instead of switching over now.</param>
/// <param name="Cancel">Cancel the scheduled switchover instead.</param>
public sealed record SwitchoverRequest(string? To, long? Generation, DateTimeOffset? At = null, bool? Cancel = null);
