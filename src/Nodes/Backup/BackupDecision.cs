namespace Appliance.Nodes.Backup;

/// <summary>What <see cref="BackupDue.Decide"/> says.</summary>
/// <param name="Type">The backup to start now; null: none.</param>
/// <param name="Reason">Why, in a sentence for the log.</param>
/// <param name="Next">When the next backup falls due if nothing else happens; null while one runs.</param>
public sealed record BackupDecision(BackupType? Type, string Reason, DateTimeOffset? Next);
