namespace Appliance.Host.Api.Ui;

/// <summary>One file of the dashboard.</summary>
/// <param name="Url">Its path on the node.</param>
/// <param name="Resource">Its name under <see cref="Dashboard.ResourcePrefix"/>.</param>
/// <param name="ContentType">Its media type.</param>
public sealed record DashboardAsset(string Url, string Resource, string ContentType);
