using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Appliance.Nodes.Backup;

/// <summary>One backup in the repository, as <c>pgbackrest info</c> describes it.</summary>
/// <param name="Label">pgBackRest's label, such as <c>20261206-101500F</c>.</param>
/// <param name="Type">full, diff or incr.</param>
/// <param name="Start">When it started.</param>
/// <param name="Stop">When it stopped.</param>
/// <param name="WalStart">The first WAL segment a restore of it needs.</param>
/// <param name="WalStop">The last WAL segment it needs to be consistent.</param>
/// <param name="LsnStart">Its start position.</param>
/// <param name="LsnStop">Its stop position.</param>
/// <param name="Size">The database's size in bytes.</param>
/// <param name="RepositorySize">What it takes in the repository (compressed), in bytes.</param>
/// <param name="Prior">The backup a diff or incr builds on; null for a full one.</param>
/// <param name="Error">True if pgBackRest found page checksum errors while copying.</param>
/// <param name="SystemId">The system identifier of the database it was taken of (the stanza's <c>db</c> entry it names);
/// null when pgBackRest's output does not say.</param>
public sealed record BackupEntry(string Label, string Type, DateTimeOffset Start, DateTimeOffset Stop, string? WalStart, string? WalStop,
    string? LsnStart, string? LsnStop, long Size, long RepositorySize, string? Prior, bool Error, ulong? SystemId = null)
{
    /// <summary>
    /// Whether pgBackRest would restore this backup for a time target of <paramref name="target"/>: it compares in
    /// whole seconds, and a backup whose stop falls in the target's second does not count (its restore then fails with
    /// "unable to find backup set with stop time less than …").
    /// </summary>
    public bool EndedBefore(DateTimeOffset target) => Stop.ToUnixTimeSeconds() < target.ToUnixTimeSeconds();
}

/// <summary>The repository's view of a stanza: its backups and the WAL archived for it.</summary>
/// <param name="Stanza">The stanza.</param>
/// <param name="Status">pgBackRest's status message (<c>ok</c>, <c>no valid backups</c>, <c>missing stanza path</c>…).</param>
/// <param name="WalMin">The oldest archived WAL segment; null when none.</param>
/// <param name="WalMax">The newest archived WAL segment; null when none.</param>
/// <param name="Backups">Oldest first.</param>
/// <param name="Running">The share of the running backup copied so far (0–100), if one runs.</param>
public sealed record BackupCatalog(string Stanza, string Status, string? WalMin, string? WalMax, IReadOnlyList<BackupEntry> Backups, double? Running)
{
    /// <summary>Reads the output of <c>pgbackrest info --output=json --stanza=S</c>.</summary>
    /// <exception cref="FormatException">The output is not what pgBackRest writes.</exception>
    public static BackupCatalog Parse(string json)
    {
        try
        {
            using var doc = JsonDocument.Parse(json);
            var stanza = doc.RootElement.EnumerateArray().FirstOrDefault();
            if (stanza.ValueKind != JsonValueKind.Object) throw new FormatException("pgbackrest info printed no stanza.");
            var status = stanza.GetProperty("status");
            var archives = stanza.TryGetProperty("archive", out var a) ? a.EnumerateArray().ToList() : [];
            var mins = archives.Select(x => Text(x, "min")).OfType<string>().Order(StringComparer.Ordinal).ToList();
            var maxes = archives.Select(x => Text(x, "max")).OfType<string>().Order(StringComparer.Ordinal).ToList();
            // A stanza upgraded or recreated over another database lists each in "db"; a backup names its own by id.
            var systems = stanza.TryGetProperty("db", out var db)
                ? db.EnumerateArray().Where(d => d.TryGetProperty("system-id", out var id) && id.ValueKind == JsonValueKind.Number)
                    .ToDictionary(d => d.GetProperty("id").GetInt32(), d => d.GetProperty("system-id").GetUInt64())
                : [];
            var backups = stanza.TryGetProperty("backup", out var b)
                ? b.EnumerateArray().Select(e => Entry(e, systems)).ToList()
                : [];
            double? running = null;
            if (status.TryGetProperty("lock", out var l) && l.TryGetProperty("backup", out var lb) && lb.GetProperty("held").GetBoolean()
                && lb.TryGetProperty("size", out var size) && lb.TryGetProperty("size-cplt", out var done) && size.GetInt64() > 0)
                running = Math.Round(100.0 * done.GetInt64() / size.GetInt64(), 1);
            return new BackupCatalog(stanza.GetProperty("name").GetString()!, status.GetProperty("message").GetString()!,
                mins.FirstOrDefault(), maxes.LastOrDefault(), backups, running);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException or ArgumentException)
        {
            throw new FormatException($"pgbackrest info printed something other than its JSON ({e.Message}).", e);
        }
    }

    private static BackupEntry Entry(JsonElement b, IReadOnlyDictionary<int, ulong> systems)
    {
        var ts = b.GetProperty("timestamp");
        var info = b.GetProperty("info");
        var archive = b.TryGetProperty("archive", out var ar) ? ar : default;
        var lsn = b.TryGetProperty("lsn", out var ls) ? ls : default;
        return new BackupEntry(b.GetProperty("label").GetString()!, b.GetProperty("type").GetString()!,
            DateTimeOffset.FromUnixTimeSeconds(ts.GetProperty("start").GetInt64()), DateTimeOffset.FromUnixTimeSeconds(ts.GetProperty("stop").GetInt64()),
            Text(archive, "start"), Text(archive, "stop"), Text(lsn, "start"), Text(lsn, "stop"),
            info.GetProperty("size").GetInt64(), info.GetProperty("repository").GetProperty("delta").GetInt64(),
            Text(b, "prior"), b.TryGetProperty("error", out var err) && err.ValueKind == JsonValueKind.True,
            b.TryGetProperty("database", out var d) && d.TryGetProperty("id", out var id) && systems.TryGetValue(id.GetInt32(), out var system)
                ? system
                : null);
    }

    private static string? Text(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
}

/// <summary>Reads how far a backup is from pgBackRest's detail lines (<c>backup file … (8KB, 45.23%) checksum …</c>).</summary>
public static partial class BackupProgress
{
    /// <summary>The percentage a line reports, or null if it reports none.</summary>
    public static double? Percent(string line)
    {
        var m = PercentPattern().Match(line);
        return m.Success && double.TryParse(m.Groups[1].Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var p) ? p : null;
    }

    [GeneratedRegex(@"(?:backup|restore) file .*\(.*?([0-9]+(?:\.[0-9]+)?)%\)")]
    private static partial Regex PercentPattern();
}
