namespace Appliance.Nodes.Backup;

/// <summary>
/// The state of the cluster's backups as the node that takes them knows it: the repository's newest backup, the last
/// failure since it took over (kept until a later backup succeeds), a running backup's progress, and the schedule.
/// </summary>
/// <param name="At">When the node last read the repository or saw a backup end.</param>
/// <param name="Schedule">The schedule (<see cref="BackupSchedule.ToString"/>), or null when backups are taken by hand only.</param>
/// <param name="Last">The newest backup in the repository, or null when it holds none (or could not be read yet).</param>
/// <param name="Failure">The last failed backup, if none succeeded after it.</param>
/// <param name="RunningPercent">A running backup's progress (0–100); null when none runs.</param>
public sealed record BackupStatus(DateTimeOffset At, string? Schedule, BackupEntry? Last, BackupFailure? Failure, double? RunningPercent)
{
    /// <summary>True if a backup runs now.</summary>
    public bool Running => RunningPercent is not null;

    /// <summary>The failure, unless a backup in the repository ended after it (then it no longer counts).</summary>
    public BackupFailure? CurrentFailure => Failure is { } f && (Last is null || f.At > Last.Stop) ? f : null;
}
