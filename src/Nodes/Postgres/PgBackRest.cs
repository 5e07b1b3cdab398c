using Appliance.Nodes.Backup;

namespace Appliance.Nodes.Postgres;

/// <summary>
/// Runs pgBackRest for one instance, as the OS user PostgreSQL runs as. pgBackRest reaches PostgreSQL through libpq,
/// which it only lets us point at a Unix socket; the instances have none (see <see cref="ApplianceConfigFile"/>), so
/// the commands get <c>PGHOST</c> (and the superuser's password, and TLS) in their environment instead, which libpq
/// reads when pgBackRest names no host.
/// </summary>
/// <param name="settings">The repository, stanza and config file.</param>
/// <param name="host">The address the instance listens on; null for commands that connect to no PostgreSQL (restore).</param>
/// <param name="credentials">The superuser's password and TLS files; null with <paramref name="host"/>.</param>
public sealed class PgBackRest(BackupSettings settings, string? host, ClusterCredentials? credentials)
{
    /// <summary>The settings this runner uses.</summary>
    public BackupSettings Settings { get; } = settings;

    /// <summary>True if the node has TLS files, which a backup from a standby needs to reach the primary's pgBackRest server.</summary>
    public bool HasTls => credentials?.Tls is not null;

    /// <summary>The pgBackRest binary on the PATH that archive_command runs with.</summary>
    /// <exception cref="PgBackRestException">It is not installed.</exception>
    public static string Binary()
    {
        foreach (var dir in new[] { "/usr/local/bin", "/usr/bin", "/bin" })
            if (File.Exists(Path.Combine(dir, "pgbackrest"))) return Path.Combine(dir, "pgbackrest");
        throw new PgBackRestException("pgBackRest is not installed (no pgbackrest in /usr/local/bin, /usr/bin or /bin); install it (apt-get install pgbackrest) on every node.");
    }

    /// <summary>Creates the stanza, or checks that the existing one belongs to this database; run on the primary.</summary>
    public Task StanzaCreateAsync(CancellationToken ct) => RunAsync("stanza-create", [], null, ct);

    /// <summary><c>pgbackrest check</c>: the primary switches WAL and waits until that segment is in the archive.</summary>
    public Task CheckAsync(CancellationToken ct) => RunAsync("check", [], null, ct);

    /// <summary>Pushes one WAL segment file into the archive; true if it was missing there, false if the archive already held it.</summary>
    /// <exception cref="PgBackRestException">pgBackRest refused, for instance because the archive holds a different file of that name.</exception>
    public async Task<bool> ArchivePushAsync(string segmentFile, CancellationToken ct)
    {
        var output = await RunAsync("archive-push", [segmentFile], null, ct).ConfigureAwait(false);
        return !output.Any(l => l.Contains("already exists in the", StringComparison.Ordinal));
    }

    /// <summary>
    /// Takes a backup of this instance's PostgreSQL; with <paramref name="primary"/>, from this instance, a standby, with
    /// the primary reached through its pgBackRest server (this node's certificate proves who asks).
    /// <paramref name="onLine"/> gets pgBackRest's progress lines.
    /// </summary>
    /// <exception cref="PgBackRestException">pgBackRest failed, or a standby backup was asked of a node without TLS.</exception>
    public Task BackupAsync(BackupType type, PrimaryEndpoint? primary, Action<string>? onLine, CancellationToken ct)
    {
        var args = new List<string> { $"--type={type.ToString().ToLowerInvariant()}", "--log-level-console=detail" };
        if (primary is not null)
            args.AddRange(primary.Arguments(credentials?.Tls
                ?? throw new PgBackRestException("A backup from a standby needs TLS (--tls-cert, --tls-key, --tls-ca): pgBackRest reaches the primary through its TLS server.")));
        return RunAsync("backup", args, onLine, ct);
    }

    /// <summary>
    /// Runs <c>pgbackrest server</c> with <paramref name="serverConfigFile"/> until it exits or <paramref name="ct"/>
    /// stops it. The commands it runs for a client connect to this node's PostgreSQL through the same environment as
    /// the node's own commands.
    /// </summary>
    /// <exception cref="PgBackRestException">The server exited by itself (it never should), with its last lines.</exception>
    public async Task ServeAsync(string serverConfigFile, Action<string>? onLine, CancellationToken ct)
    {
        var result = await PostgresCommand.RunAsync(Binary(), [$"--config={serverConfigFile}", "--log-level-console=info", "--log-level-file=off", "server"],
            Environment(), onLine, ct).ConfigureAwait(false);
        throw new PgBackRestException($"pgbackrest server exited (exit code {result.ExitCode}): {ErrorText(result.Output)}");
    }

    /// <summary><c>pgbackrest info --output=json</c> of the stanza: the repository's backups and WAL ranges.</summary>
    public async Task<string> InfoJsonAsync(CancellationToken ct)
    {
        var output = await RunAsync("info", ["--output=json"], null, ct).ConfigureAwait(false);
        // Standard error (warnings) arrives on the same stream; the JSON is one line of its own.
        return output.FirstOrDefault(l => l.StartsWith('[')) ?? string.Join('\n', output);
    }

    /// <summary>
    /// Restores the repository's newest backup (before <paramref name="target"/>, if given) into the empty directory
    /// <paramref name="targetDirectory"/> as a standalone server: recovery stops at the target and promotes, archiving is
    /// off, and the restored server fetches WAL with its own config file (<see cref="RestoredConfigName"/>), so it needs
    /// nothing of the node it came from.
    /// </summary>
    /// <param name="repository">The repository.</param>
    /// <param name="stanza">The stanza (the cluster's name).</param>
    /// <param name="options">Pass-through options (an object store's, for instance).</param>
    /// <param name="targetDirectory">An empty or missing directory; its parents must be traversable by the postgres OS user when run as root.</param>
    /// <param name="target">Where recovery stops; null: at the end of the archive.</param>
    /// <param name="onLine">pgBackRest's progress lines.</param>
    /// <param name="ct">Cancels the restore (the directory is then left half-restored).</param>
    public static async Task RestoreAsync(string repository, string stanza, IReadOnlyList<BackupOption> options, string targetDirectory,
        RecoveryTarget? target, Action<string>? onLine, CancellationToken ct)
    {
        if (Directory.Exists(targetDirectory) && Directory.EnumerateFileSystemEntries(targetDirectory).Any())
            throw new PgBackRestException($"The target {targetDirectory} is not empty; restore into an empty or new directory (nothing was changed).");
        Directory.CreateDirectory(targetDirectory);
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(targetDirectory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        PostgresOsUser.GiveToPostgres(targetDirectory);
        // pgBackRest wants the target empty, so its config lives beside it while it runs and moves in afterwards.
        var work = Path.Combine(Path.GetTempPath(), "appliance-restore-" + Guid.NewGuid().ToString("N")[..12]);
        var settings = new BackupSettings(repository, stanza, work, options);
        var restoredConfig = Path.Combine(targetDirectory, RestoredConfigName);
        try
        {
            await PgBackRestConfig.WriteAsync(settings, targetDirectory, 5432, ct).ConfigureAwait(false);
            var args = new List<string>
            {
                "--archive-mode=off", "--log-level-console=detail",
                "--recovery-option=restore_command=" + BackupSettings.ArchiveGetCommand(restoredConfig, stanza),
            };
            args.AddRange(target?.Arguments ?? []);
            var runner = new PgBackRest(settings, null, null);
            args.AddRange(await runner.TargetTimelineAsync(ct).ConfigureAwait(false));
            await runner.RunAsync("restore", args, onLine, ct).ConfigureAwait(false);
            // The restored server's own settings: its locks in its own directory, never the node's.
            var own = settings with { Directory = Path.Combine(targetDirectory, "pgbackrest") };
            await PgBackRestConfig.WriteAsync(own, targetDirectory, 5432, ct).ConfigureAwait(false);
            File.Move(own.ConfigFile, restoredConfig);
        }
        finally
        {
            try { Directory.Delete(work, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    /// <summary>
    /// Restores backup <paramref name="label"/> into <paramref name="dataDirectory"/> (empty, owned by the postgres OS
    /// user) as a standby (<c>--type=standby</c>); the caller removes the recovery settings pgBackRest adds
    /// (<see cref="RestoredRecoverySettings"/>), since a standby of the cluster streams and never reads the archive.
    /// </summary>
    public Task RestoreStandbyAsync(string label, string dataDirectory, Action<string>? onLine, CancellationToken ct) =>
        RunAsync("restore", [$"--set={label}", "--type=standby", $"--pg1-path={dataDirectory}", "--log-level-console=detail"], onLine, ct);

    /// <summary>Copies the archived WAL segment <paramref name="segment"/> into <paramref name="dataDirectory"/>'s pg_wal.</summary>
    public Task ArchiveGetAsync(string segment, string dataDirectory, CancellationToken ct) =>
        RunAsync("archive-get", [$"--pg1-path={dataDirectory}", segment, Path.Combine(dataDirectory, "pg_wal", segment)], null, ct);

    /// <summary>
    /// Whether the archive holds the file <paramref name="fileName"/> (a segment or a <c>.history</c> file): it is
    /// fetched into this instance's pgBackRest directory and removed again. pgBackRest's <c>archive-push</c> overwrites
    /// a history file without a word, so a push that must not replace one asks this first.
    /// </summary>
    /// <exception cref="PgBackRestException">pgBackRest failed other than by not finding it (the repository is unreachable…).</exception>
    public async Task<bool> ArchiveHoldsAsync(string fileName, CancellationToken ct)
    {
        var target = Path.Combine(Settings.Directory, $"probe-{Guid.NewGuid():N}-{fileName}");
        try
        {
            var result = await RunUncheckedAsync("archive-get", [fileName, target], null, ct).ConfigureAwait(false);
            // Not found is exit code 1 with no error of pgBackRest's; anything else that is not 0 is a failure.
            if (result.ExitCode == 0) return true;
            if (result.ExitCode == 1 && !result.Output.Any(l => l.Contains("ERROR:", StringComparison.Ordinal))) return false;
            throw new PgBackRestException($"pgbackrest archive-get {fileName} failed (exit code {result.ExitCode}): {ErrorText(result.Output)}");
        }
        finally
        {
            try { File.Delete(target); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    /// <summary>The timeline of the newest archived WAL segment (its file name's first eight hex digits); null when none is archived.</summary>
    public static int? NewestTimeline(BackupCatalog catalog) =>
        catalog.WalMax is { Length: 24 } newest &&
        int.TryParse(newest[..8], System.Globalization.NumberStyles.HexNumber, System.Globalization.CultureInfo.InvariantCulture, out var timeline)
            ? timeline
            : null;

    /// <summary>
    /// <c>pgbackrest restore</c> into this instance's own data directory (its config's <c>pg1-path</c>, which must be
    /// empty), with <paramref name="arguments"/> (the recovery target and options), along the newest archived timeline.
    /// </summary>
    public async Task RestoreInPlaceAsync(IReadOnlyList<string> arguments, Action<string>? onLine, CancellationToken ct) =>
        await RunAsync("restore", [.. arguments, .. await TargetTimelineAsync(ct).ConfigureAwait(false)], onLine, ct).ConfigureAwait(false);

    /// <summary>
    /// The <c>--target-timeline</c> of a restore: the newest timeline with archived WAL, or nothing when none is archived.
    /// </summary>
    /// <remarks>
    /// PostgreSQL's "latest" timeline probes history files upwards from the backup's and stops at the first missing one.
    /// A promotion that skipped numbers (PromotionTimeline) left those numbers' history files in its pg_wal only, so the
    /// archive has gaps, and "latest" would stay on the old timeline and lose everything after the failover. The newest
    /// timeline with archived WAL is the current primary's; its own history file (archived at its promotion) gives the
    /// whole path to it. A recovery target (a time, an LSN) still stops on that path wherever it lies.
    /// </remarks>
    private async Task<IReadOnlyList<string>> TargetTimelineAsync(CancellationToken ct) =>
        NewestTimeline(BackupCatalog.Parse(await InfoJsonAsync(ct).ConfigureAwait(false))) is { } newest ? [$"--target-timeline={newest}"] : [];

    /// <summary>The name of the restored server's own pgBackRest config file, inside its data directory.</summary>
    public const string RestoredConfigName = "pgbackrest-restore.conf";

    private async Task<IReadOnlyList<string>> RunAsync(string command, IReadOnlyList<string> extra, Action<string>? onLine, CancellationToken ct)
    {
        var result = await RunUncheckedAsync(command, extra, onLine, ct).ConfigureAwait(false);
        if (result.ExitCode != 0)
            throw new PgBackRestException($"pgbackrest {command} failed (exit code {result.ExitCode}): {ErrorText(result.Output)}");
        return result.Output;
    }

    /// <summary>
    /// Runs <paramref name="command"/> with this stanza's config, the options of <paramref name="extra"/> before it and its
    /// other arguments after it, in their order; the caller reads the exit code (a missing file is exit code 1 for
    /// <c>archive-get</c>, no failure).
    /// </summary>
    private Task<CommandResult> RunUncheckedAsync(string command, IReadOnlyList<string> extra, Action<string>? onLine, CancellationToken ct)
    {
        static bool IsOption(string argument) => argument.StartsWith("--", StringComparison.Ordinal);
        List<string> args = [$"--config={Settings.ConfigFile}", $"--stanza={Settings.Stanza}", .. extra.Where(IsOption), command, .. extra.Where(a => !IsOption(a))];
        return PostgresCommand.RunAsync(Binary(), args, Environment(), onLine, ct);
    }

    /// <summary>libpq's environment for pgBackRest's connections to this node's PostgreSQL (the instances have no Unix socket).</summary>
    private Dictionary<string, string> Environment()
    {
        var env = new Dictionary<string, string>();
        if (host is not null && credentials is not null)
        {
            env["PGHOST"] = host;
            env["PGPASSWORD"] = credentials.SuperuserPassword;
            env["PGCONNECT_TIMEOUT"] = "10";
        }
        if (credentials?.Tls is { } tls)
        {
            env["PGSSLMODE"] = "verify-ca";
            env["PGSSLROOTCERT"] = tls.CaFile;
        }
        return env;
    }

    /// <summary>
    /// pgBackRest's own error lines (<c>ERROR: [code]: …</c>) with the warnings before them, else the last lines of its
    /// output. The warnings say why: "unable to find primary cluster" follows the warning that names the host it could not reach.
    /// </summary>
    public static string ErrorText(IReadOnlyList<string> output)
    {
        var errors = output.Where(l => l.Contains("ERROR:", StringComparison.Ordinal) || l.Contains("WARN:", StringComparison.Ordinal)).ToList();
        if (!errors.Any(l => l.Contains("ERROR:", StringComparison.Ordinal))) errors.Clear();
        return string.Join(" ", (errors.Count > 0 ? errors : output.TakeLast(5)).Select(l => l.Trim()));
    }
}
