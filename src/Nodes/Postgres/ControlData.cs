using System.Globalization;
using Appliance.Nodes.State;

namespace Appliance.Nodes.Postgres;

/// <summary>What <c>pg_controldata</c> says about a data directory, read without a running server.</summary>
/// <param name="SystemIdentifier">Identifies the cluster: every clone shares it, every initdb makes a new one.</param>
/// <param name="ClusterState">The <c>Database cluster state</c> line, such as <c>shut down</c> or <c>in production</c>.</param>
/// <param name="CheckpointTimeline">The timeline of the latest checkpoint.</param>
/// <param name="CheckpointLocation">Where the latest checkpoint record starts; null when the output lacks it.</param>
/// <param name="MinRecoveryPoint">How far a standby must replay before it is consistent (0/0 on a primary); null when
/// the output lacks it.</param>
/// <param name="MinRecoveryTimeline">The timeline of <paramref name="MinRecoveryPoint"/> (0 on a primary).</param>
/// <param name="WalSegmentSize">Bytes per WAL segment; null when the output lacks it.</param>
public sealed record ControlData(ulong SystemIdentifier, string ClusterState, int CheckpointTimeline, Lsn? CheckpointLocation = null,
    Lsn? MinRecoveryPoint = null, int MinRecoveryTimeline = 0, long? WalSegmentSize = null)
{
    /// <summary>True if it last ran as a standby (shut down, or stopped, in recovery).</summary>
    public bool LastRanAsStandby => ClusterState is "shut down in recovery" or "in archive recovery";

    /// <summary>True if the last shutdown was clean (as a primary or as a standby).</summary>
    public bool ShutDownCleanly => ClusterState is "shut down" or "shut down in recovery";

    /// <summary>Parses the output of <c>pg_controldata</c> run with <c>LC_ALL=C</c>.</summary>
    /// <exception cref="FormatException">A needed line is missing or malformed; the message names it.</exception>
    public static ControlData Parse(string output)
    {
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var raw in output.Split('\n'))
        {
            var colon = raw.IndexOf(':');
            if (colon <= 0) continue;
            fields.TryAdd(raw[..colon].Trim(), raw[(colon + 1)..].Trim());
        }

        return new ControlData(
            ulong.Parse(Field(fields, "Database system identifier"), NumberStyles.None, CultureInfo.InvariantCulture),
            Field(fields, "Database cluster state"),
            int.Parse(Field(fields, "Latest checkpoint's TimeLineID"), NumberStyles.None, CultureInfo.InvariantCulture),
            fields.TryGetValue("Latest checkpoint location", out var checkpoint) && Lsn.TryParse(checkpoint, out var at) ? at : null,
            fields.TryGetValue("Minimum recovery ending location", out var minimum) && Lsn.TryParse(minimum, out var min) ? min : null,
            fields.TryGetValue("Min recovery ending loc's timeline", out var minTli)
                && int.TryParse(minTli, NumberStyles.None, CultureInfo.InvariantCulture, out var t) ? t : 0,
            fields.TryGetValue("Bytes per WAL segment", out var segment)
                && long.TryParse(segment, NumberStyles.None, CultureInfo.InvariantCulture, out var bytes) ? bytes : null);
    }

    private static string Field(Dictionary<string, string> fields, string name) =>
        fields.TryGetValue(name, out var value) && value.Length > 0
            ? value
            : throw new FormatException($"pg_controldata output has no '{name}' line; was it run with LC_ALL=C on a data directory?");
}
