using System.Globalization;
using Appliance.Nodes.State;

namespace Appliance.Nodes.Postgres;

/// <summary>
/// Renders the cluster-wide settings (<see cref="ClusterState.Settings"/>) as <c>appliance-settings.conf</c>. The file
/// is included from the top of <c>appliance.conf</c>, so it overrides the operator's <c>postgresql.conf</c> and the
/// appliance's own keys, which follow it, override it.
/// </summary>
public static class ClusterSettingsFile
{
    /// <summary>The file's name inside the data directory.</summary>
    public const string FileName = "appliance-settings.conf";

    /// <summary>The include line at the top of <c>appliance.conf</c>.</summary>
    public const string IncludeLine = "include_if_exists = '" + FileName + "'";

    /// <summary>
    /// The settings a node writes: its own tuning for the settings that were hard-coded before
    /// (<see cref="ClusterSettings.WithNodeDefaults"/>), overlaid with the cluster's.
    /// </summary>
    public static IReadOnlyDictionary<string, string> Effective(ServerTuning tuning, IReadOnlyDictionary<string, string> cluster)
    {
        var all = new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            ["shared_buffers"] = tuning.SharedBuffers,
            ["max_connections"] = tuning.MaxConnections.ToString(CultureInfo.InvariantCulture),
        };
        foreach (var (name, value) in cluster) all[name] = value;
        return all;
    }

    /// <summary>The node's defaults alone (what <c>config show</c> lists as defaults).</summary>
    public static IReadOnlyDictionary<string, string> Defaults(ServerTuning tuning) => Effective(tuning, new Dictionary<string, string>());

    /// <summary>The whole file; every value single-quoted, which PostgreSQL accepts for every type.</summary>
    public static string Render(IReadOnlyDictionary<string, string> settings)
    {
        var lines = new List<string>
        {
            "# Written by the Appliance node from the cluster's settings (appliance config set). Do not edit.",
        };
        lines.AddRange(settings.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key} = {ConfValue.Quote(kv.Value)}"));
        lines.Add("");
        return string.Join('\n', lines);
    }
}
