namespace Appliance.Host.Node;

/// <summary>The pgBackRest repository a node archives into and backs up to.</summary>
/// <param name="Path">repo1-path: a directory (shared by every node when they are separate machines), or a path in the object store that <paramref name="Options"/> configure.</param>
/// <param name="Options">Options passed through to pgBackRest (<c>--backup-option KEY=VALUE</c>, repeatable).</param>
/// <param name="ServerPort">The port of the node's <c>pgbackrest server</c> (<c>--backup-server-port</c>), which runs when TLS is on.</param>
public sealed record BackupRepository(string Path, IReadOnlyList<Appliance.Nodes.Backup.BackupOption> Options, int ServerPort = BackupRepository.DefaultServerPort)
{
    /// <summary>pgBackRest's own default for <c>tls-server-port</c>.</summary>
    public const int DefaultServerPort = 8432;

    /// <summary>When the cluster takes backups by itself (<c>--backup-schedule</c>); null: only when asked.</summary>
    public Appliance.Nodes.Backup.BackupSchedule? Schedule { get; init; }

    /// <summary>A new cluster starts from this repository instead of initdb (<c>--bootstrap-from-backup</c>); null: initdb.</summary>
    public Appliance.Nodes.Backup.BackupBootstrap? Bootstrap { get; init; }
}
