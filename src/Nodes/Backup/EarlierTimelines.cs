using System.Globalization;
using System.Text.RegularExpressions;
using Appliance.Nodes.State;

namespace Appliance.Nodes.Backup;

/// <summary>
/// The WAL segments a newly promoted primary holds of the timelines before its own. With <c>archive_mode = on</c> a
/// standby marks the segments it streams as archived without archiving them, trusting its primary to; a primary
/// that died before its archiver caught up leaves those segments out of the archive for good, and every restore
/// through that stretch stops at the gap. The new primary received them all (the sync holds every acknowledged
/// commit), so it pushes them once it is primary; pgBackRest skips those already there.
/// </summary>
public static partial class EarlierTimelines
{
    /// <summary>The segment size the appliance's initdb uses (PostgreSQL's default).</summary>
    public const ulong SegmentSize = 16UL * 1024 * 1024;

    /// <summary>
    /// The segment files in <paramref name="walDirectory"/> that lie wholly on the history of the newest timeline there
    /// (its <c>.history</c> file) before that timeline began, oldest first. Only WAL the new primary's own history
    /// holds: a segment past a switch point, which may hold a deposed primary's divergent WAL, is never pushed, nor the
    /// old timeline's unfinished last segment (renamed <c>.partial</c> at promotion; its WAL is in the new timeline's
    /// first segment).
    /// </summary>
    public static IReadOnlyList<string> Segments(string walDirectory)
    {
        var names = Directory.EnumerateFiles(walDirectory).Select(Path.GetFileName).OfType<string>().ToList();
        var segments = names.Where(n => SegmentName().IsMatch(n)).ToList();
        if (segments.Count == 0) return [];
        var newest = segments.Max(n => Hex(n, 0));
        var historyFile = Path.Combine(walDirectory, $"{newest:X8}.history");
        if (!File.Exists(historyFile)) return [];
        var history = TimelineHistory.Parse((int)newest, File.ReadAllText(historyFile));
        return [.. segments.Where(n => Hex(n, 0) < newest && Before(history, n)).Order(StringComparer.Ordinal).Select(n => Path.Combine(walDirectory, n))];
    }

    /// <summary>What the last line of a history file the appliance placed for a skipped timeline number holds (PostgresDriver's promotion).</summary>
    public const string SkippedMarker = "appliance: number skipped";

    /// <summary>
    /// The history files in <paramref name="walDirectory"/> that a promotion placed for the timeline numbers it skipped,
    /// lowest first. PostgreSQL's <c>recovery_target_timeline = 'latest'</c> probes history files upwards and stops at
    /// the first number it cannot find, so a server that follows the archive (a standby leader of
    /// <c>--standby-from-repo</c>) would stay on the old timeline for good if they were only here: the archiver pushes
    /// only the history file PostgreSQL writes itself.
    /// </summary>
    public static IReadOnlyList<string> SkippedHistoryFiles(string walDirectory) =>
    [
        .. Directory.EnumerateFiles(walDirectory, "*.history")
            .Where(f => HistoryName().IsMatch(Path.GetFileName(f)) && File.ReadLines(f).LastOrDefault(l => l.Length > 0)?.Contains(SkippedMarker, StringComparison.Ordinal) == true)
            .Order(StringComparer.Ordinal),
    ];

    /// <summary>True if segment <paramref name="name"/> is on a timeline of <paramref name="history"/> and ends at or before that timeline's switch point.</summary>
    public static bool Before(TimelineHistory history, string name)
    {
        var end = ((ulong)Hex(name, 8) << 32) + Hex(name, 16) * SegmentSize + SegmentSize;
        return history.Past.Any(s => s.Timeline == (int)Hex(name, 0) && end <= s.SwitchPoint.Value);
    }

    private static uint Hex(string name, int at) => uint.Parse(name.AsSpan(at, 8), NumberStyles.HexNumber, CultureInfo.InvariantCulture);

    [GeneratedRegex("^[0-9A-F]{24}$")]
    private static partial Regex SegmentName();

    [GeneratedRegex("^[0-9A-F]{8}\\.history$")]
    private static partial Regex HistoryName();
}
