namespace Appliance.Nodes.Backup;

/// <summary>Where an operator asks a backup to be taken from (<c>appliance backup --from</c>).</summary>
public enum BackupFrom
{
    /// <summary>A standby if one can serve, else the primary (the default).</summary>
    Auto,

    /// <summary>A standby, or nothing: refused when none can serve.</summary>
    Standby,

    /// <summary>The primary, which then pays for reading its files.</summary>
    Primary,
}
