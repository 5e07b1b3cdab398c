using Appliance.Nodes.Backup;
using Appliance.Nodes.Postgres;

namespace Appliance.Host.Node;

/// <summary>Reads <c>--backup-repo</c>, <c>--backup-option</c> and the options that shape backups (issue 17).</summary>
public static class BackupOptions
{
    /// <summary>The node options that mean nothing without <c>--backup-repo</c>, with the pgBackRest option each sets, if any.</summary>
    private static readonly (string Key, string? PgBackRestKey)[] Dependent =
        [("backup-retention-full", BackupRetention.FullKey), ("backup-retention-diff", BackupRetention.DiffKey), ("backup-schedule", null), ("bootstrap-from-backup", null), ("bootstrap-to", null)];

    /// <summary>The repository the merged option values name, or null without <c>--backup-repo</c>.</summary>
    /// <exception cref="NodeConfigurationException">A malformed option, a missing repository directory, or placement mode.</exception>
    public static BackupRepository? Repository(IReadOnlyDictionary<string, string> values, bool placement) =>
        RepositoryWithoutServer(values, placement) is { } repo ? repo with { ServerPort = ServerPort(values) } : null;

    /// <summary><c>--backup-server-port</c>: where this node's pgBackRest server listens (pgBackRest's 8432 by default).</summary>
    private static int ServerPort(IReadOnlyDictionary<string, string> values)
    {
        if (values.GetValueOrDefault("backup-server-port")?.Trim() is not { Length: > 0 } text) return BackupRepository.DefaultServerPort;
        return int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var port) && port is >= 1 and <= 65535
            ? port
            : throw new NodeConfigurationException($"--backup-server-port is '{text}'; it must be a TCP port, a whole number from 1 to 65535.");
    }

    private static BackupRepository? RepositoryWithoutServer(IReadOnlyDictionary<string, string> values, bool placement)
    {
        var options = new List<BackupOption>();
        foreach (var text in (values.GetValueOrDefault("backup-option") ?? "").Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            try { options.Add(BackupOption.Parse(text)); }
            catch (FormatException e) { throw new NodeConfigurationException($"--backup-option: {e.Message}"); }
        }
        if (options.GroupBy(o => o.Key).FirstOrDefault(g => g.Count() > 1) is { } twice)
            throw new NodeConfigurationException($"--backup-option: {twice.Key} is given {twice.Count()} times; give it once.");
        var given = Dependent.Where(d => values.GetValueOrDefault(d.Key)?.Trim() is { Length: > 0 }).ToList();
        if (values.GetValueOrDefault("backup-repo")?.Trim() is not { Length: > 0 } repo)
        {
            if (options.Count > 0 || given.Count > 0)
                throw new NodeConfigurationException($"{(options.Count > 0 ? "--backup-option" : "--" + given[0].Key)} needs --backup-repo (the pgBackRest repository to archive WAL and keep backups in).");
            if (values.GetValueOrDefault("backup-server-port") is { Length: > 0 })
                throw new NodeConfigurationException("--backup-server-port needs --backup-repo (the pgBackRest server serves backups to that repository).");
            return null;
        }
        foreach (var (key, pgBackRestKey) in given)
        {
            if (pgBackRestKey is null) continue;
            if (options.Any(o => o.Key == pgBackRestKey))
                throw new NodeConfigurationException($"--{key} and --backup-option {pgBackRestKey}=… set the same thing; give --{key} alone.");
            try { options.Add(new BackupOption(pgBackRestKey, BackupRetention.Parse("--" + key, values[key]).ToString(System.Globalization.CultureInfo.InvariantCulture))); }
            catch (FormatException e) { throw new NodeConfigurationException(e.Message); }
        }
        if (placement)
            throw new NodeConfigurationException("--backup-repo is not supported in placement mode (--pg-base-port, --data-root) yet; run one instance per node to archive WAL and take backups.");
        BackupSchedule? schedule = null;
        if (values.GetValueOrDefault("backup-schedule")?.Trim() is { Length: > 0 } scheduleText)
        {
            try { schedule = BackupSchedule.Parse(scheduleText); }
            catch (FormatException e) { throw new NodeConfigurationException($"--backup-schedule: {e.Message}"); }
        }
        var bootstrap = Bootstrap(values);
        // In an object store the path is a key prefix, not a local directory.
        var posix = options.FirstOrDefault(o => o.Key == "repo1-type")?.Value is null or "posix" or "cifs";
        if (!posix) return new BackupRepository(repo, options) { Schedule = schedule, Bootstrap = bootstrap };
        var path = Path.GetFullPath(repo);
        if (File.Exists(path))
            throw new NodeConfigurationException($"--backup-repo {path} is a file; give the pgBackRest repository's directory.");
        if (!Directory.Exists(path))
            throw new NodeConfigurationException($"--backup-repo {path} does not exist. Create it (mkdir -p {path}; as root, chown postgres: it too), on a disk that outlives this node's, or mount the shared repository there.");
        return new BackupRepository(path, options) { Schedule = schedule, Bootstrap = bootstrap };
    }

    /// <summary><c>--bootstrap-from-backup</c> (a flag; true/false in a file or variable) and <c>--bootstrap-to</c>.</summary>
    private static BackupBootstrap? Bootstrap(IReadOnlyDictionary<string, string> values)
    {
        var flag = values.GetValueOrDefault("bootstrap-from-backup")?.Trim().ToLowerInvariant();
        var on = flag switch
        {
            null or "" or "false" or "no" or "off" or "0" => false,
            "true" or "yes" or "on" or "1" => true,
            _ => throw new NodeConfigurationException($"--bootstrap-from-backup is '{flag}'; give it alone as a flag, or true or false."),
        };
        var to = values.GetValueOrDefault("bootstrap-to")?.Trim() is { Length: > 0 } t ? t : null;
        if (!on)
            return to is null ? null : throw new NodeConfigurationException("--bootstrap-to needs --bootstrap-from-backup (it says where the restore of a new cluster stops).");
        try { return new BackupBootstrap(RecoveryTargetFlags.Parse(to, null)); }
        catch (FormatException e) { throw new NodeConfigurationException(e.Message.Replace("--to ", "--bootstrap-to ", StringComparison.Ordinal)); }
    }

    /// <summary>
    /// Checks that pgBackRest is installed and writes this node's pgBackRest config, before PostgreSQL starts with an
    /// archive_command that reads it. A new, empty repository directory is given to the postgres OS user, who archives.
    /// </summary>
    /// <exception cref="NodeConfigurationException">pgBackRest is missing.</exception>
    public static async Task PrepareAsync(NodeOptions options, CancellationToken ct)
    {
        if (ApplianceNodeHosting.BackupSettings(options) is not { } settings) return;
        try { PgBackRest.Binary(); }
        catch (PgBackRestException e) { throw new NodeConfigurationException($"--backup-repo: {e.Message}"); }
        if (Directory.Exists(settings.Repository) && !Directory.EnumerateFileSystemEntries(settings.Repository).Any())
            PgBackRestConfig.GiveToPostgres(settings.Repository);
        await PgBackRestConfig.WriteAsync(settings, options.PgDataDirectory, options.PgPort, ct);
        if (settings.Bootstrap is { } bootstrap && new Appliance.Nodes.Postgres.DataDirectory(options.PgDataDirectory).Kind == Appliance.Nodes.Postgres.DataDirectoryKind.Empty)
            await RequireBackupAsync(settings, bootstrap, ct);
    }

    /// <summary>
    /// Refuses <c>--bootstrap-from-backup</c> before anything starts when the repository has nothing to restore: no
    /// backup of the stanza, or none that ended before <c>--bootstrap-to</c>. Only a node with an empty data directory
    /// asks: one that holds its database (a restart of the cluster's nodes) ignores the flag, as the cluster does.
    /// </summary>
    private static async Task RequireBackupAsync(BackupSettings settings, BackupBootstrap bootstrap, CancellationToken ct)
    {
        BackupCatalog catalog;
        try { catalog = BackupCatalog.Parse(await new PgBackRest(settings, null, null).InfoJsonAsync(ct)); }
        catch (Exception e) when (e is PgBackRestException or FormatException)
        {
            throw new NodeConfigurationException($"--bootstrap-from-backup: cannot read stanza {settings.Stanza} in {settings.Repository}: {e.Message}");
        }
        if (catalog.Backups.Count == 0)
            throw new NodeConfigurationException($"--bootstrap-from-backup: the repository {settings.Repository} holds no backup of stanza {settings.Stanza} ({catalog.Status}); nothing was changed. Give the --backup-repo (and --backup-option) of the cluster whose backups you mean, or start without --bootstrap-from-backup for an empty database.");
        if (bootstrap.Target?.Time is { } to && !catalog.Backups.Any(b => b.EndedBefore(to)))
            throw new NodeConfigurationException($"--bootstrap-from-backup: no backup in {settings.Repository} ended before --bootstrap-to {to:u} (the oldest ended {catalog.Backups.Min(b => b.Stop):u}; pgBackRest counts whole seconds, so the target must be in a later second); nothing was changed. Give a later time.");
    }
}
