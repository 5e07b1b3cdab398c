using System.Globalization;
using System.Text.RegularExpressions;

namespace Appliance.Nodes.Backup;

/// <summary>
/// When the cluster takes backups by itself (<c>--backup-schedule full=7d,diff=1d[,incr=1h]</c>): a full backup once
/// the newest full one started <see cref="Full"/> ago, a differential once the newest full or differential one started
/// <see cref="Diff"/> ago, an incremental once the newest backup of any kind started <see cref="Incr"/> ago. Intervals
/// rather than a cron expression because what matters is the age of the newest backup, whoever took it: a backup an
/// operator took by hand, or one that ran late, moves the next one instead of adding one.
/// </summary>
/// <param name="Full">The longest time between full backups.</param>
/// <param name="Diff">Between differential (or full) backups; null: none.</param>
/// <param name="Incr">Between backups of any kind, the gaps filled by incremental ones; null: none.</param>
public sealed partial record BackupSchedule(TimeSpan Full, TimeSpan? Diff, TimeSpan? Incr)
{
    /// <summary>The shortest interval a schedule may have: a backup needs a checkpoint and at least a few seconds.</summary>
    public static readonly TimeSpan Minimum = TimeSpan.FromSeconds(10);

    /// <summary>The shortest of the intervals: how often some backup is due.</summary>
    public TimeSpan Shortest => new[] { Full, Diff ?? Full, Incr ?? Full }.Min();

    /// <summary>
    /// How often the node that takes backups looks whether one is due: a quarter of <see cref="Shortest"/>, between
    /// 1 s and 1 min, so that a backup starts at most that late and a weekly schedule costs one <c>pgbackrest info</c> a minute.
    /// </summary>
    public TimeSpan CheckInterval => Clamp(Shortest / 4, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(1));

    /// <summary>
    /// How long after a failed backup the schedule tries again: a quarter of <see cref="Shortest"/>, between 10 s and
    /// 15 min, so that a repository that is full or unmounted is not hammered, and one that comes back is used soon.
    /// </summary>
    public TimeSpan RetryAfterFailure => Clamp(Shortest / 4, TimeSpan.FromSeconds(10), TimeSpan.FromMinutes(15));

    /// <summary>
    /// The age past which the newest backup is overdue (what <c>verify</c> reports): one and a half times
    /// <see cref="Shortest"/>, which leaves half an interval for the backup to run and for a check to notice it is due.
    /// </summary>
    public TimeSpan AllowedAge => Shortest * 1.5;

    /// <summary>Reads <c>full=7d,diff=1d,incr=1h</c>: a full interval, optionally diff and incr ones, each a number with s, m, h, d or w.</summary>
    /// <exception cref="FormatException">A malformed or unknown part, a missing full interval, or intervals out of order; the message says what to give.</exception>
    public static BackupSchedule Parse(string text)
    {
        var parts = new Dictionary<string, TimeSpan>();
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var eq = part.IndexOf('=');
            var key = eq > 0 ? part[..eq].Trim().ToLowerInvariant() : "";
            if (key is not ("full" or "diff" or "incr"))
                throw new FormatException($"'{part}' is not full=, diff= or incr= followed by an interval; give, for example, full=7d,diff=1d.");
            if (parts.ContainsKey(key)) throw new FormatException($"{key} is given twice; give it once.");
            parts[key] = Interval(key, part[(eq + 1)..].Trim());
        }
        if (!parts.TryGetValue("full", out var full))
            throw new FormatException($"'{text}' has no full= interval: every schedule needs full backups (diffs and incrs build on them, and retention counts them); give, for example, full=7d,diff=1d.");
        TimeSpan? diff = parts.TryGetValue("diff", out var d) ? d : null, incr = parts.TryGetValue("incr", out var i) ? i : null;
        if (diff >= full) throw new FormatException($"diff={Format(diff.Value)} is not shorter than full={Format(full)}, so no differential backup would ever be due; make it shorter or leave it out.");
        if (incr >= (diff ?? full)) throw new FormatException($"incr={Format(incr.Value)} is not shorter than {(diff is null ? "full" : "diff")}={Format(diff ?? full)}, so no incremental backup would ever be due; make it shorter or leave it out.");
        return new BackupSchedule(full, diff, incr);
    }

    /// <summary>The schedule as <see cref="Parse"/> reads it.</summary>
    public override string ToString() =>
        "full=" + Format(Full) + (Diff is { } d ? ",diff=" + Format(d) : "") + (Incr is { } i ? ",incr=" + Format(i) : "");

    /// <summary>An interval in the largest unit that divides it (<c>7d</c>, <c>36h</c>, <c>90s</c>).</summary>
    public static string Format(TimeSpan interval)
    {
        foreach (var (unit, length) in Units.Reverse())
            if (interval.Ticks % length.Ticks == 0) return (interval.Ticks / length.Ticks).ToString(CultureInfo.InvariantCulture) + unit;
        return ((long)interval.TotalSeconds).ToString(CultureInfo.InvariantCulture) + "s";
    }

    private static readonly (char Unit, TimeSpan Length)[] Units =
        [('s', TimeSpan.FromSeconds(1)), ('m', TimeSpan.FromMinutes(1)), ('h', TimeSpan.FromHours(1)), ('d', TimeSpan.FromDays(1)), ('w', TimeSpan.FromDays(7))];

    private static TimeSpan Interval(string key, string text)
    {
        var m = IntervalPattern().Match(text);
        if (!m.Success || !long.TryParse(m.Groups[1].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n > 100_000)
            throw new FormatException($"{key}='{text}' is not an interval: give a whole number with s, m, h, d or w, such as 7d or 12h.");
        var interval = Units.First(u => u.Unit == char.ToLowerInvariant(m.Groups[2].Value[0])).Length * n;
        return interval >= Minimum ? interval : throw new FormatException($"{key}={text} is shorter than {Format(Minimum)}: a backup needs at least that long.");
    }

    private static TimeSpan Clamp(TimeSpan value, TimeSpan min, TimeSpan max) => value < min ? min : value > max ? max : value;

    [GeneratedRegex("^([0-9]+)([smhdwSMHDW])$")]
    private static partial Regex IntervalPattern();
}
