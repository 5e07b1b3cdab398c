using System.Globalization;
using System.Text.RegularExpressions;

namespace Appliance.Nodes.Postgres;

/// <summary>One PostgreSQL installation's programs and its major version.</summary>
/// <param name="BinDirectory">The directory holding the programs.</param>
/// <param name="MajorVersion">The major version, such as 15.</param>
public sealed partial record PostgresBinaries(string BinDirectory, int MajorVersion)
{
    /// <summary>Where Debian and Ubuntu install each major version.</summary>
    public const string DebianRoot = "/usr/lib/postgresql";

    private static readonly string[] Required = ["postgres", "initdb", "pg_basebackup", "pg_rewind", "pg_controldata"];

    /// <summary>The server.</summary>
    public string Postgres => Path.Combine(BinDirectory, "postgres");

    /// <summary>initdb.</summary>
    public string InitDb => Path.Combine(BinDirectory, "initdb");

    /// <summary>pg_basebackup.</summary>
    public string BaseBackup => Path.Combine(BinDirectory, "pg_basebackup");

    /// <summary>pg_rewind.</summary>
    public string Rewind => Path.Combine(BinDirectory, "pg_rewind");

    /// <summary>pg_controldata.</summary>
    public string ControlData => Path.Combine(BinDirectory, "pg_controldata");

    /// <summary>
    /// The directory the server loads libraries such as <c>appliance_guard.so</c> from (<c>pg_config --pkglibdir</c>).
    /// Defaults to <c>../lib</c> beside the bin directory, Debian's layout; <see cref="LocateAsync"/> asks the
    /// installation's own pg_config when it has one.
    /// </summary>
    public string PackageLibDirectory { get; init; } = Path.GetFullPath(Path.Combine(BinDirectory, "..", "lib"));

    /// <summary>
    /// Finds the programs in <paramref name="binDirectory"/> if given, otherwise in the newest
    /// <c><paramref name="searchRoot"/>/*/bin</c>, and asks the server its version.
    /// </summary>
    /// <exception cref="PostgresBinariesNotFoundException">Nothing usable was found; the message says what to install.</exception>
    public static async Task<PostgresBinaries> LocateAsync(string? binDirectory, CancellationToken ct, string searchRoot = DebianRoot)
    {
        var dir = binDirectory ?? Newest(searchRoot) ?? throw new PostgresBinariesNotFoundException(
            $"No PostgreSQL installation found under {searchRoot}/*/bin. Install the Debian package postgresql-15 " +
            "(apt-get install postgresql-15), or set bin-dir to the directory that holds postgres, initdb and pg_basebackup.");
        var missing = Required.Where(p => !File.Exists(Path.Combine(dir, p))).ToArray();
        if (missing.Length > 0)
            throw new PostgresBinariesNotFoundException(
                $"The PostgreSQL bin directory {dir} lacks {string.Join(", ", missing)}. Install the Debian package " +
                "postgresql-15 (apt-get install postgresql-15), or point bin-dir at a directory that has them all.");

        var result = await PostgresCommand.RunAsync(Path.Combine(dir, "postgres"), ["--version"], null, null, ct).ConfigureAwait(false);
        var text = string.Join(' ', result.Output);
        var major = result.ExitCode == 0 ? ParseMajorVersion(text) : null;
        return major is { } m
            ? new PostgresBinaries(dir, m) { PackageLibDirectory = await PackageLibDirectoryAsync(dir, ct).ConfigureAwait(false) }
            : throw new PostgresBinariesNotFoundException(
                $"{Path.Combine(dir, "postgres")} --version did not report a version (exit {result.ExitCode}: '{text}'). Reinstall postgresql-15.");
    }

    /// <summary>Reads the major version from <c>postgres --version</c> output such as <c>postgres (PostgreSQL) 15.18 (Debian …)</c>.</summary>
    public static int? ParseMajorVersion(string versionOutput)
    {
        var m = VersionPattern().Match(versionOutput);
        return m.Success ? int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) : null;
    }

    private static async Task<string> PackageLibDirectoryAsync(string binDirectory, CancellationToken ct)
    {
        var fallback = Path.GetFullPath(Path.Combine(binDirectory, "..", "lib"));
        var pgConfig = Path.Combine(binDirectory, "pg_config");
        if (!File.Exists(pgConfig)) return fallback;
        var result = await PostgresCommand.RunAsync(pgConfig, ["--pkglibdir"], null, null, ct).ConfigureAwait(false);
        // pg_config writes nothing else to stdout for this option; a broken one leaves the Debian layout as the best guess.
        var line = result.ExitCode == 0 ? result.Output.FirstOrDefault(l => l.StartsWith('/'))?.Trim() : null;
        return string.IsNullOrEmpty(line) ? fallback : line;
    }

    private static string? Newest(string searchRoot)
    {
        if (!Directory.Exists(searchRoot)) return null;
        return Directory.EnumerateDirectories(searchRoot)
            .Select(d => (Dir: Path.Combine(d, "bin"), Version: decimal.TryParse(Path.GetFileName(d), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var v) ? v : -1))
            .Where(x => x.Version >= 0 && File.Exists(Path.Combine(x.Dir, "postgres")))
            .OrderByDescending(x => x.Version)
            .Select(x => x.Dir)
            .FirstOrDefault();
    }

    [GeneratedRegex(@"\(PostgreSQL\) (\d+)(?:\.\d+)?", RegexOptions.CultureInvariant)]
    private static partial Regex VersionPattern();
}
