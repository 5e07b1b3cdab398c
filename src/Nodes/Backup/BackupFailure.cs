namespace Appliance.Nodes.Backup;

/// <summary>A backup that failed: when, of which type, and pgBackRest's error.</summary>
/// <param name="At">When it ended.</param>
/// <param name="Type">full, diff or incr.</param>
/// <param name="Message">pgBackRest's error, as the operator should read it.</param>
public sealed record BackupFailure(DateTimeOffset At, string Type, string Message);
