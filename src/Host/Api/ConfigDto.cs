namespace Appliance.Host.Api;

/// <summary>The cluster's settings as <c>GET /config</c> serves them.</summary>
/// <param name="Version">The state version they are from.</param>
/// <param name="Settings">What operators set (<c>appliance config set</c>).</param>
/// <param name="Defaults">What this node writes for a setting the cluster does not set (its tuning).</param>
/// <param name="PendingRestart">Per peer, the settings its PostgreSQL takes only at a restart; peers with none are left out.</param>
public sealed record ConfigDto(long Version, IReadOnlyDictionary<string, string> Settings, IReadOnlyDictionary<string, string> Defaults,
    IReadOnlyDictionary<string, IReadOnlyList<string>> PendingRestart);
