using Appliance.Nodes.Backup;
using Appliance.Nodes.State;

namespace Appliance.Nodes.Postgres;

/// <summary>
/// The source's pgBackRest archive as the leader of a standby cluster that follows it (<c>--standby-from-repo</c>)
/// reads it: the newest backup fills its empty data directory, and its <c>restore_command</c> fetches each WAL segment
/// as the source archives it. It has its own pgBackRest config, <c>pgbackrest-source/</c> beside the data directory
/// (never inside it, so a clone or rewind leaves it alone), which names only the source's repository and stanza.
/// </summary>
internal static class SourceArchive
{
    /// <summary>
    /// The pgBackRest settings for reading <paramref name="repository"/> on the instance of <paramref name="node"/>, with
    /// the node's <see cref="DriverSettings.StandbyRepoOptions"/> (an object store's).
    /// </summary>
    public static BackupSettings Settings(DriverSettings node, SourceRepository repository) =>
        new(repository.Path, repository.Stanza,
            Path.Combine(Path.GetDirectoryName(Path.GetFullPath(node.DataDirectory)) ?? "/", "pgbackrest-source"), node.StandbyRepoOptions);

    /// <summary>The config file the leader's <c>restore_command</c> reads.</summary>
    public static string ConfigFile(DriverSettings node, SourceRepository repository) => Settings(node, repository).ConfigFile;

    /// <summary>The leader's <c>restore_command</c>: <c>pgbackrest archive-get</c> from the source's stanza.</summary>
    public static string RestoreCommand(DriverSettings node, SourceRepository repository) =>
        BackupSettings.ArchiveGetCommand(ConfigFile(node, repository), repository.Stanza);

    /// <summary>Writes the config file, owned by the OS user PostgreSQL runs as (its <c>restore_command</c> reads it).</summary>
    public static Task WriteConfigAsync(DriverSettings node, SourceRepository repository, CancellationToken ct) =>
        PgBackRestConfig.WriteAsync(Settings(node, repository), node.DataDirectory, node.Self.Port, ct);

    /// <summary>
    /// Fills the empty <paramref name="target"/> with the newest backup of the source's stanza, as a standby with no
    /// recovery settings of pgBackRest's (the role's <c>restore_command</c> replaces them).
    /// </summary>
    /// <exception cref="PgBackRestException">The archive cannot be read, holds no backup, or the restore failed (the
    /// partial copy is removed).</exception>
    public static async Task RestoreNewestAsync(DriverSettings node, SourceRepository repository, DataDirectory target,
        IProgress<BaseBackupProgress>? progress, Action<string> log, CancellationToken ct)
    {
        await WriteConfigAsync(node, repository, ct).ConfigureAwait(false);
        BackupCatalog catalog;
        try
        {
            catalog = BackupCatalog.Parse(await new PgBackRest(Settings(node, repository), null, null).InfoJsonAsync(ct).ConfigureAwait(false));
        }
        catch (FormatException e)
        {
            throw new PgBackRestException($"cannot read stanza {repository.Stanza} in {repository.Path}: {e.Message}");
        }
        if (catalog.Backups.LastOrDefault(b => !b.Error) is not { } newest)
            throw new PgBackRestException(
                $"the archive {repository} holds no usable backup ({catalog.Status}); take one on the source cluster (appliance backup) and this node restores it");
        log($"restoring backup {newest.Label} of {repository} (taken {newest.Stop:u}), then replaying the source's archive");
        var failed = await RepositoryClone.RestoreAsync(node with { Backup = Settings(node, repository) }, newest, segmentSize: null, target, progress, ct)
            .ConfigureAwait(false);
        if (failed is not null) throw new PgBackRestException(failed);
    }
}
