namespace Appliance.Nodes.Backup;

/// <summary>
/// A new cluster starts from a backup instead of an empty database (<c>--bootstrap-from-backup [--bootstrap-to T]</c>):
/// its first primary restores the repository (the driver's <c>BootstrapRestore</c>) where it would run initdb; the others
/// clone from it as usual.
/// </summary>
/// <param name="Target">Where recovery stops; null: at the end of the archive.</param>
public sealed record BackupBootstrap(RecoveryTarget? Target);
