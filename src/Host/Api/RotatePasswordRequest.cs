namespace Appliance.Host.Api;

/// <summary>Body of <c>POST /rotate-password</c>.</summary>
/// <param name="Role"><c>superuser</c> or <c>replication</c>.</param>
public sealed record RotatePasswordRequest(string? Role);
