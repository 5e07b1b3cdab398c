using System.Text.RegularExpressions;

namespace Appliance.Nodes.Postgres;

/// <summary>
/// Asks PostgreSQL itself whether it would start with a set of settings: the settings file is rendered into an empty
/// scratch directory as its <c>postgresql.conf</c> and the server binary reads it with <c>postgres -C</c>, which parses
/// the file and checks every value (name, type, unit, range, enum, check hooks) and exits without touching any data
/// directory. Nothing a hand-written table would get wrong across versions.
/// </summary>
public static partial class SettingsCheck
{
    [GeneratedRegex(@" in file "".*"" line \d+$")]
    private static partial Regex WhereInFile();

    /// <summary>
    /// The problems PostgreSQL reports for <paramref name="settings"/>, one line each; empty when it accepts them.
    /// </summary>
    public static async Task<IReadOnlyList<string>> ProblemsAsync(PostgresBinaries binaries, IReadOnlyDictionary<string, string> settings,
        CancellationToken ct)
    {
        if (settings.Count == 0) return [];
        var scratch = Directory.CreateTempSubdirectory("appliance-settings-check-");
        try
        {
            var conf = Path.Combine(scratch.FullName, "postgresql.conf");
            await File.WriteAllTextAsync(conf, ClusterSettingsFile.Render(settings), ct).ConfigureAwait(false);
            PostgresOsUser.GiveTreeToPostgres(scratch.FullName);
            var first = settings.Keys.First();
            var result = await PostgresCommand.RunAsync(binaries.Postgres, ["-D", scratch.FullName, "-C", first], null, null, ct)
                .ConfigureAwait(false);
            if (result.ExitCode == 0) return [];
            var problems = result.Output
                .Select(Message)
                .Where(m => m is not null && !m.StartsWith("skipping missing configuration file", StringComparison.Ordinal)
                            && !m.StartsWith("configuration file", StringComparison.Ordinal))
                .Select(m => m!)
                .ToList();
            return problems.Count > 0 ? problems : [$"PostgreSQL refused the settings (exit {result.ExitCode}): {string.Join(" ", result.Output)}"];
        }
        finally
        {
            try { scratch.Delete(recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    /// <summary>The message of a server log line (<c>… LOG:  text</c>, <c>FATAL:</c>, <c>HINT:</c>), without the prefix.</summary>
    private static string? Message(string line)
    {
        foreach (var level in new[] { "FATAL:", "ERROR:", "LOG:", "HINT:", "DETAIL:" })
        {
            var at = line.IndexOf(level, StringComparison.Ordinal);
            if (at >= 0) return (level == "HINT:" ? "hint: " : "") + WhereInFile().Replace(line[(at + level.Length)..].Trim(), "");
        }
        return null;
    }
}
