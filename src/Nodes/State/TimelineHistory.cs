using System.Collections.Immutable;
using System.Globalization;
using System.Text;

namespace Appliance.Nodes.State;

/// <summary>
/// The history of a timeline: the timeline itself and every earlier one it descends from, each with the position
/// where it was left (the content of PostgreSQL's <c>0000000N.history</c> file, plus N).
/// </summary>
/// <remarks>
/// <para>A bare LSN says nothing about whose WAL it is. Two instances can both hold WAL up to 0/5000000 and share
/// none of it past 0/3000000, when one of them was promoted there and the other kept streaming from the old primary.
/// A position is therefore only comparable with another together with its history: <see cref="ForkPoint"/> says how
/// far two histories share their WAL, and <see cref="Holds"/> whether a position lies on this history.</para>
/// <para>Histories are compared entry by entry, never by timeline number alone: PostgreSQL picks a new timeline as one
/// past the newest it knows of, so two promotions that did not know of each other can pick the same number. What
/// this cannot tell apart is two promotions from the same timeline at the same switch point to the same number: the
/// files are then identical (PostgreSQL keeps no other identity). The coordinator promotes one peer per generation,
/// and each promotion is behind its fences, so that does not happen in this protocol.</para>
/// </remarks>
public sealed record TimelineHistory
{
    /// <summary>A history of <paramref name="timeline"/> that descends from <paramref name="past"/> (oldest first).</summary>
    /// <exception cref="ArgumentException">The timelines are not in increasing order, or name the timeline itself.</exception>
    /// <remarks>
    /// Switch points need not increase: a standby promoted while it was still replaying an older timeline of its
    /// target's history (below that history's last switch point) writes a file whose last switch point is lower than
    /// an earlier one. PostgreSQL resolves positions newest timeline first, and so does <see cref="ForkPoint"/>.
    /// </remarks>
    public TimelineHistory(int timeline, IEnumerable<TimelineSwitch>? past = null)
    {
        if (timeline < 1) throw new ArgumentException($"Timeline {timeline} does not exist: timelines start at 1.", nameof(timeline));
        Timeline = timeline;
        Past = [.. past ?? []];
        for (var i = 0; i < Past.Length; i++)
        {
            if (Past[i].Timeline >= timeline || (i > 0 && Past[i].Timeline <= Past[i - 1].Timeline))
                throw new ArgumentException($"Timeline history of {timeline} is out of order: {Describe(timeline, Past)}.", nameof(past));
        }
    }

    /// <summary>The history of a cluster that was never promoted: timeline 1 and nothing before it.</summary>
    public static TimelineHistory First { get; } = new(1);

    /// <summary>The timeline this is the history of.</summary>
    public int Timeline { get; }

    /// <summary>The timelines it descends from, oldest first, each with where it was left.</summary>
    public ImmutableArray<TimelineSwitch> Past { get; }

    /// <summary>
    /// Parses the text of PostgreSQL's history file of <paramref name="timeline"/> (lines of <c>parentTLI switchpoint
    /// reason</c>; comments and blank lines ignored). Timeline 1 has no file: pass null or empty text.
    /// </summary>
    /// <exception cref="FormatException">A line is not a history line; the message quotes it.</exception>
    public static TimelineHistory Parse(int timeline, string? historyFile)
    {
        var past = new List<TimelineSwitch>();
        foreach (var raw in (historyFile ?? "").Split('\n'))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#')) continue;
            var fields = line.Split((char[])['\t', ' '], 3, StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length < 2 || !int.TryParse(fields[0], NumberStyles.None, CultureInfo.InvariantCulture, out var parent)
                || !Lsn.TryParse(fields[1], out var at))
                throw new FormatException($"'{line}' in the history file of timeline {timeline} is not '<timeline> <switch point> <reason>'.");
            past.Add(new TimelineSwitch(parent, at));
        }
        return new TimelineHistory(timeline, past);
    }

    /// <summary>
    /// How far this history and <paramref name="other"/> hold the same WAL: <see cref="Lsn.Max"/>-like infinity
    /// (<see cref="Unbounded"/>) when they are the same timeline, otherwise the position where they part.
    /// </summary>
    public Lsn ForkPoint(TimelineHistory other)
    {
        var mine = Segments();
        var theirs = other.Segments();
        for (var i = 0; i < Math.Min(mine.Count, theirs.Count); i++)
        {
            var (a, b) = (mine[i], theirs[i]);
            if (a.Timeline != b.Timeline)
                return i == 0 ? Lsn.Zero : mine[i - 1].End;   // both left the previous timeline there, for different ones
            if (a.End != b.End)
                return a.End < b.End ? a.End : b.End;         // one left this timeline earlier than the other
        }
        return Unbounded;   // same timeline with the same ancestry: identical WAL as far as either goes
    }

    /// <summary>
    /// True if WAL up to <paramref name="lsn"/> on <paramref name="history"/> is WAL of this history: a standby at
    /// that position can stream from an instance on this history without a rewind, and a peer there holds every
    /// write of this history up to that position.
    /// </summary>
    public bool Holds(TimelineHistory history, Lsn lsn) => ForkPoint(history) >= lsn;

    /// <summary>The history of the timeline a promotion at <paramref name="at"/> starts, as <paramref name="newTimeline"/>.</summary>
    public TimelineHistory PromotedAt(Lsn at, int newTimeline) => new(newTimeline, Past.Add(new TimelineSwitch(Timeline, at)));

    /// <summary>Stands for "never": the fork point of identical histories.</summary>
    public static readonly Lsn Unbounded = new(ulong.MaxValue);

    /// <summary>
    /// The WAL this history is made of, oldest first: each timeline with where its WAL ends, as PostgreSQL resolves a
    /// position (newest timeline first, so a later switch point below an earlier one cuts the earlier timeline short,
    /// and a timeline left where it began holds no WAL of this history at all).
    /// </summary>
    private List<(int Timeline, Lsn End)> Segments()
    {
        var entries = Past.Select(p => (p.Timeline, End: p.SwitchPoint)).Append((Timeline, End: Unbounded)).ToList();
        var segments = new List<(int Timeline, Lsn End)>();
        var limit = Unbounded;   // where the WAL of the newer timelines begins
        for (var i = entries.Count - 1; i >= 0; i--)
        {
            var begin = i == 0 ? Lsn.Zero : entries[i - 1].End;
            var end = entries[i].End < limit ? entries[i].End : limit;
            if (begin < end || i == 0) segments.Insert(0, (entries[i].Timeline, end));
            if (begin < limit) limit = begin;
        }
        return segments;
    }

    /// <inheritdoc />
    public bool Equals(TimelineHistory? other) => other is not null && Timeline == other.Timeline && Past.SequenceEqual(other.Past);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Timeline, Past.Length);

    /// <summary>Compact form for logs: <c>tl3 (1@0/3000000, 2@0/5000000)</c>.</summary>
    public override string ToString() => Describe(Timeline, Past);

    private static string Describe(int timeline, IEnumerable<TimelineSwitch> past)
    {
        var sb = new StringBuilder($"tl{timeline}");
        var entries = past.Select(p => $"{p.Timeline}@{p.SwitchPoint}").ToList();
        if (entries.Count > 0) sb.Append(" (").Append(string.Join(", ", entries)).Append(')');
        return sb.ToString();
    }
}
