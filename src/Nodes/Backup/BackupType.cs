namespace Appliance.Nodes.Backup;

/// <summary>The kind of backup (pgBackRest's <c>--type</c>).</summary>
public enum BackupType
{
    /// <summary>Every file.</summary>
    Full,

    /// <summary>What changed since the last full backup.</summary>
    Diff,

    /// <summary>What changed since the last backup of any kind.</summary>
    Incr,
}
