namespace Appliance.Host.Api;

/// <summary>Body of <c>POST /maintenance/{id}</c>.</summary>
/// <param name="On">True to start maintenance, false to end it.</param>
public sealed record MaintenanceRequest(bool? On);
