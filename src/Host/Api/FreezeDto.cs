namespace Appliance.Host.Api;

/// <summary>A freeze.</summary>
/// <param name="Reason">Why.</param>
/// <param name="Since">Since when.</param>
public sealed record FreezeDto(string Reason, DateTimeOffset Since);
