using Appliance.Nodes.Backup;

namespace Appliance.Nodes.Postgres;

/// <summary>Renders and writes the pgBackRest config file of one instance (<see cref="BackupSettings.ConfigFile"/>).</summary>
public static class PgBackRestConfig
{
    /// <summary>Defaults an operator's <see cref="BackupOption"/> of the same key replaces.</summary>
    /// <remarks>
    /// <c>start-fast</c>: a backup asks for an immediate checkpoint instead of waiting for the next one (up to
    /// <c>checkpoint_timeout</c>), so <c>appliance backup</c> starts copying at once. File logging is off because
    /// pgBackRest never rotates its logs and archive-push runs once per WAL segment; the node shows the commands' output.
    /// <c>repo1-retention-full</c>: <see cref="BackupRetention.DefaultFull"/>, so that the repository does not grow
    /// forever (<c>--backup-retention-full</c> sets it).
    /// </remarks>
    private static readonly IReadOnlyList<BackupOption> Defaults =
        [new("log-level-file", "off"), new("start-fast", "y"), new("compress-type", "lz4"),
         new(BackupRetention.FullKey, BackupRetention.DefaultFull.ToString(System.Globalization.CultureInfo.InvariantCulture))];

    /// <summary>The file's text for an instance whose data directory is <paramref name="dataDirectory"/> and whose PostgreSQL listens on <paramref name="port"/>.</summary>
    public static string Render(BackupSettings settings, string dataDirectory, int port)
    {
        var given = settings.Options.Select(o => o.Key).ToHashSet();
        var lines = new List<string>
        {
            "# Written by the appliance at every start; do not edit. Give --backup-option KEY=VALUE instead.",
            "[global]",
            $"repo1-path={settings.Repository}",
            $"lock-path={settings.LockPath}",
            $"log-path={settings.LogPath}",
            "",
            $"[{settings.Stanza}]",
            $"pg1-path={dataDirectory}",
            $"pg1-port={port}",
            $"pg1-user={ClusterCredentials.Superuser}",
        };
        lines.AddRange(Defaults.Where(d => !given.Contains(d.Key)).Concat(settings.Options).Select(o => $"{o.Key}={o.Value}"));
        lines.Add("");
        return string.Join('\n', lines);
    }

    /// <summary>
    /// Writes the config file (mode 0600: pass-through options may hold an object store's keys) and creates the lock
    /// and log directories, all owned by the OS user PostgreSQL runs as, since archive_command runs as that user.
    /// </summary>
    public static async Task WriteAsync(BackupSettings settings, string dataDirectory, int port, CancellationToken ct)
    {
        foreach (var dir in new[] { settings.Directory, settings.LockPath, settings.LogPath })
        {
            System.IO.Directory.CreateDirectory(dir);
            if (!OperatingSystem.IsWindows())
                File.SetUnixFileMode(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            PostgresOsUser.GiveToPostgres(dir);
        }
        await PrivateFile.WriteAsync(settings.ConfigFile, Render(settings, dataDirectory, port), ct).ConfigureAwait(false);
    }

    /// <summary>Gives <paramref name="directory"/> to the OS user PostgreSQL runs as (a no-op unless root).</summary>
    public static void GiveToPostgres(string directory) => PostgresOsUser.GiveToPostgres(directory);
}
