using System.Globalization;
using System.Text.RegularExpressions;
using Appliance.Nodes.State;

namespace Appliance.Nodes.Postgres;

/// <summary>
/// Where a stopped instance's WAL ends, and on which history: what decides, without starting it, whether it can
/// stream from an upstream as it is or must be rewound first.
/// </summary>
/// <param name="History">The history of the timeline its WAL is on.</param>
/// <param name="Position">The end of its valid WAL on that timeline (at least its checkpoint and minimum recovery point).</param>
internal sealed partial record LocalWal(TimelineHistory History, Lsn Position)
{
    /// <summary>
    /// Reads pg_control, the timeline's history file and, with <c>pg_waldump</c>, the end of the WAL written after the
    /// latest checkpoint; null when any of that cannot be read (the caller must then assume the worst).
    /// </summary>
    /// <remarks>
    /// pg_control alone is not enough: a primary that crashed, or a standby that received more than it flushed pages
    /// for, holds WAL beyond both its checkpoint and its minimum recovery point, and that tail is exactly what may have
    /// forked. Every doubt makes the position larger: a larger one only costs a needless rewind (and a rewind of a killed
    /// standby that then finds nothing to rewind costs a copy, <see cref="RewindOrClone"/>). Values pg_waldump merely read
    /// at the end (a prev-link, a page address) are not doubts about the end, and do not count.
    /// </remarks>
    public static async Task<LocalWal?> ReadAsync(PostgresBinaries binaries, DataDirectory dataDirectory, CancellationToken ct)
    {
        var control = await dataDirectory.ReadControlDataAsync(binaries, ct).ConfigureAwait(false);
        if (control.CheckpointLocation is not { } checkpoint || control.WalSegmentSize is not { } segmentSize) return null;
        var timeline = Math.Max(control.CheckpointTimeline, control.MinRecoveryTimeline);
        TimelineHistory history;
        if (timeline == 1) history = TimelineHistory.First;
        else
        {
            var file = Path.Combine(dataDirectory.Path, "pg_wal", $"{timeline:X8}.history");
            if (!File.Exists(file)) return null;
            history = TimelineHistory.Parse(timeline, await File.ReadAllTextAsync(file, ct).ConfigureAwait(false));
        }
        var start = timeline == control.CheckpointTimeline ? checkpoint : control.MinRecoveryPoint ?? checkpoint;
        var dump = await PostgresCommand.RunAsync(Path.Combine(binaries.BinDirectory, "pg_waldump"),
            ["--quiet", "--path", Path.Combine(dataDirectory.Path, "pg_wal"), "--timeline", timeline.ToString(CultureInfo.InvariantCulture),
             "--start", start.ToString()], null, null, ct).ConfigureAwait(false);
        if (EndOfWal(dump.Output, segmentSize) is not { } end) return null;
        return new LocalWal(history, Lsn.Max(Lsn.Max(end, checkpoint), control.MinRecoveryPoint ?? Lsn.Zero));
    }

    /// <summary>
    /// Where pg_waldump stopped reading, from its closing error: the largest position it names, or the segment and
    /// offset it names. Null when it names neither.
    /// </summary>
    public static Lsn? EndOfWal(IReadOnlyList<string> output, long segmentSize)
    {
        Lsn? end = null;
        foreach (var raw in output)
        {
            // A prev-link or page address pg_waldump complains of is what it read where the WAL ends: bytes of a recycled
            // segment or of another history, not a position this instance's WAL reaches (long run 11, finding 11: most
            // likely such a value, 67F/102000, made a standby below its upstream's switch look forked, and it was rewound).
            var line = ReadValuePattern().Replace(raw, "");
            foreach (Match m in LsnPattern().Matches(line))
                if (Lsn.TryParse(m.Value, out var lsn) && (end is null || lsn > end)) end = lsn;
            if (SegmentPattern().Match(line) is { Success: true } s)
            {
                var segno = ulong.Parse(s.Groups[1].Value[8..16], NumberStyles.HexNumber, CultureInfo.InvariantCulture) * (0x1_0000_0000UL / (ulong)segmentSize)
                            + ulong.Parse(s.Groups[1].Value[16..], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                var offset = s.Groups[2].Success ? ulong.Parse(s.Groups[2].Value, CultureInfo.InvariantCulture) : 0;
                var at = new Lsn(segno * (ulong)segmentSize + offset);
                if (end is null || at > end) end = at;
            }
        }
        return end;
    }

    [GeneratedRegex(@"\b[0-9A-F]{1,8}/[0-9A-F]{1,8}\b")]
    private static partial Regex LsnPattern();

    [GeneratedRegex(@"\b(?:prev-link|pageaddr) [0-9A-F]{1,8}/[0-9A-F]{1,8}\b")]
    private static partial Regex ReadValuePattern();

    [GeneratedRegex(@"([0-9A-F]{24})""?(?:, offset (\d+))?")]
    private static partial Regex SegmentPattern();
}
