namespace Appliance.Nodes.Backup;

/// <summary>
/// WAL archiving and backups of one instance through pgBackRest: the repository, the stanza and where this instance
/// keeps its pgBackRest config, locks and logs (<see cref="Directory"/>, beside the data directory, never inside it,
/// so that a clone or a rewind of the data directory leaves it alone).
/// </summary>
/// <param name="Repository">repo1-path: a POSIX directory (a shared mount when nodes are separate machines), or the
/// path inside an object store when <see cref="Options"/> set <c>repo1-type</c>.</param>
/// <param name="Stanza">The stanza: the cluster's name, the same on every node.</param>
/// <param name="Directory">Where this instance's <c>pgbackrest.conf</c>, lock and log directories live.</param>
/// <param name="Options">Options passed through to pgBackRest's config (S3, retention, compression…).</param>
public sealed record BackupSettings(string Repository, string Stanza, string Directory, IReadOnlyList<BackupOption> Options)
{
    /// <summary>Start a new cluster from the repository instead of initdb (<c>--bootstrap-from-backup</c>); null: initdb.</summary>
    public BackupBootstrap? Bootstrap { get; init; }

    /// <summary>The config file the node writes and every pgBackRest command it runs reads.</summary>
    public string ConfigFile => Path.Combine(Directory, "pgbackrest.conf");

    /// <summary>pgBackRest's lock directory: per instance, so that instances sharing a machine never take each other's locks.</summary>
    public string LockPath => Path.Combine(Directory, "lock");

    /// <summary>pgBackRest's log directory (file logging is off unless an option turns it on).</summary>
    public string LogPath => Path.Combine(Directory, "log");

    /// <summary>
    /// PostgreSQL's <c>archive_command</c>. Every instance has it, with <c>archive_mode = on</c>: a standby then never
    /// runs it (only <c>always</c> would), so only the primary archives, and a promoted standby starts archiving its
    /// new timeline by itself.
    /// </summary>
    public string ArchiveCommand => $"pgbackrest --config={ShellQuote(ConfigFile)} --stanza={ShellQuote(Stanza)} archive-push %p";

    /// <summary>A <c>restore_command</c> that fetches WAL from the repository with the config file <paramref name="configFile"/>.</summary>
    public static string ArchiveGetCommand(string configFile, string stanza) =>
        $"pgbackrest --config={ShellQuote(configFile)} --stanza={ShellQuote(stanza)} archive-get %f \"%p\"";

    /// <summary>Quotes <paramref name="word"/> for /bin/sh, which runs archive_command.</summary>
    public static string ShellQuote(string word) =>
        word.All(c => char.IsAsciiLetterOrDigit(c) || c is '/' or '.' or '-' or '_') ? word : "'" + word.Replace("'", "'\\''") + "'";

    /// <summary>A stanza name pgBackRest accepts.</summary>
    public static bool IsValidStanza(string stanza) => Appliance.Nodes.State.SourceRepository.IsValidStanza(stanza);
}
