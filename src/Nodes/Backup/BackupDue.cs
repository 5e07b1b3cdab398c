namespace Appliance.Nodes.Backup;

/// <summary>
/// The schedule's rule: given the repository's backups, whether one runs, the last failure and the time, is a backup
/// due, and of which type. Pure, so that the one place that acts on it (the backup actor of the node that takes
/// backups) and its tests see the same answer. Measured from each backup's start, as pgBackRest labels them, so a
/// schedule keeps its rhythm however long a backup takes.
/// </summary>
public static class BackupDue
{
    /// <summary>Decides.</summary>
    /// <param name="schedule">The schedule.</param>
    /// <param name="backups">The repository's backups (any order).</param>
    /// <param name="running">A backup runs now (taken by hand or by the schedule): never a second one.</param>
    /// <param name="lastFailure">The last backup that failed since this node took over, if any.</param>
    /// <param name="now">The time.</param>
    public static BackupDecision Decide(BackupSchedule schedule, IReadOnlyList<BackupEntry> backups, bool running,
        BackupFailure? lastFailure, DateTimeOffset now)
    {
        if (running) return new BackupDecision(null, "a backup is running", null);
        var newestStop = backups.Count == 0 ? (DateTimeOffset?)null : backups.Max(b => b.Stop);
        if (lastFailure is { } failed && (newestStop is null || failed.At > newestStop) && now < failed.At + schedule.RetryAfterFailure)
            return new BackupDecision(null, $"the last {failed.Type} backup failed at {failed.At:u}; trying again at {failed.At + schedule.RetryAfterFailure:u}",
                failed.At + schedule.RetryAfterFailure);

        var full = Newest(backups, "full");
        if (full is null) return new BackupDecision(BackupType.Full, "the repository holds no full backup", null);
        var due = new List<(BackupType Type, DateTimeOffset At, BackupEntry Since)> { (BackupType.Full, full.Start + schedule.Full, full) };
        if (schedule.Diff is { } diff && Newest(backups, "full", "diff") is { } fullOrDiff)
            due.Add((BackupType.Diff, fullOrDiff.Start + diff, fullOrDiff));
        if (schedule.Incr is { } incr && Newest(backups, "full", "diff", "incr") is { } any)
            due.Add((BackupType.Incr, any.Start + incr, any));
        // The largest kind that is due: a full backup due at the same time as a diff makes the diff pointless.
        foreach (var (type, at, since) in due)
            if (at <= now)
                return new BackupDecision(type, $"the newest {Kinds(type)} {since.Label} started at {since.Start:u}, {Interval(schedule, type)} ago or more", null);
        return new BackupDecision(null, "no backup is due", due.Min(d => d.At));
    }

    private static BackupEntry? Newest(IReadOnlyList<BackupEntry> backups, params string[] types) =>
        backups.Where(b => types.Contains(b.Type)).MaxBy(b => b.Start);

    private static string Kinds(BackupType type) => type switch
    {
        BackupType.Full => "full backup",
        BackupType.Diff => "full or diff backup",
        _ => "backup",
    };

    private static string Interval(BackupSchedule schedule, BackupType type) => BackupSchedule.Format(type switch
    {
        BackupType.Full => schedule.Full,
        BackupType.Diff => schedule.Diff!.Value,
        _ => schedule.Incr!.Value,
    });
}
