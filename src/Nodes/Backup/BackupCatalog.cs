using System.Text.Json;

namespace Appliance.Nodes.Backup;

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
