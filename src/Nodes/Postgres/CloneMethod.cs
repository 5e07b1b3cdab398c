using Appliance.Nodes.Backup;

namespace Appliance.Nodes.Postgres;

/// <summary>How a new replica's data directory is made: <see cref="ReplicaSource.Decide"/>'s answer.</summary>
/// <param name="Why">Why this method, for the node's log.</param>
public abstract record CloneMethod(string Why)
{
    /// <summary>Restore <paramref name="Backup"/> from the repository, then stream the rest from the upstream.</summary>
    /// <param name="Backup">The backup to restore (pgBackRest's <c>--set</c>).</param>
    /// <param name="Why">Why it qualifies.</param>
    public sealed record FromRepository(BackupEntry Backup, string Why) : CloneMethod(Why);

    /// <summary>Copy the upstream with <c>pg_basebackup</c>, as always before.</summary>
    /// <param name="Why">Why not from the repository.</param>
    public sealed record BaseBackup(string Why) : CloneMethod(Why);
}
