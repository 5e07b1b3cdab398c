namespace Appliance.Nodes.Backup;

/// <summary>
/// What is wrong with the cluster's backups, one sentence each (what <c>verify</c> and <c>status</c> print): the last
/// backup failed, the newest one is older than the schedule allows, or there is none. Pure; the clock is the node's,
/// passed in, so that the CLI's machine's clock does not matter.
/// </summary>
public static class BackupHealth
{
    /// <summary>The problems of <paramref name="status"/> at <paramref name="now"/>; none means healthy.</summary>
    public static IReadOnlyList<string> Problems(BackupStatus status, DateTimeOffset now)
    {
        var problems = new List<string>();
        if (status.CurrentFailure is { } failed)
            problems.Add($"the last backup ({failed.Type}, at {failed.At:u}) failed: {failed.Message}; fix the cause, then run 'appliance backup'" +
                         (status.Schedule is null ? "" : " or wait for the schedule to try again"));
        var schedule = status.Schedule is { } text ? BackupSchedule.Parse(text) : null;
        if (status.Last is not { } last)
        {
            if (!status.Running)
                problems.Add(schedule is null
                    ? "the repository holds no backup: run 'appliance backup --type full', or give every node --backup-schedule"
                    : "the repository holds no backup yet: the schedule takes a full backup as soon as the primary's node is ready");
        }
        else if (schedule is not null && now - last.Stop > schedule.AllowedAge)
            problems.Add($"the newest backup {last.Label} ended {Age(now - last.Stop)} ago, longer than the schedule ({status.Schedule}) allows ({Age(schedule.AllowedAge)})" +
                         (status.Running ? $"; one is running ({status.RunningPercent:0} %)" : ""));
        return problems;
    }

    /// <summary>A duration for people: <c>3 d 4 h</c>, <c>2 h 5 min</c>, <c>40 s</c>.</summary>
    public static string Age(TimeSpan age) =>
        age.TotalDays >= 1 ? $"{(int)age.TotalDays} d {age.Hours} h"
        : age.TotalHours >= 1 ? $"{(int)age.TotalHours} h {age.Minutes} min"
        : age.TotalMinutes >= 1 ? $"{(int)age.TotalMinutes} min {age.Seconds} s"
        : $"{Math.Max(0, (int)age.TotalSeconds)} s";
}
