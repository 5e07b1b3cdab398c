using System.Text.Json;

namespace Appliance.Nodes.Postgres;

/// <summary>Small state files the node keeps beside its data directory, written so that a crash leaves the old or the new one, never half of one.</summary>
internal static class DurableFile
{
    /// <summary>Writes <paramref name="value"/> as JSON to a temporary file, flushes it to disk, then renames it over <paramref name="path"/>.</summary>
    public static async Task WriteJsonAsync<T>(string path, T value, CancellationToken ct)
    {
        var temporary = path + ".tmp";
        await using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None, 4096, FileOptions.WriteThrough))
        {
            await JsonSerializer.SerializeAsync(stream, value, cancellationToken: ct).ConfigureAwait(false);
            stream.Flush(flushToDisk: true);
        }
        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>The JSON value in <paramref name="path"/>, or null when there is no such file.</summary>
    /// <exception cref="InvalidDataException">The file does not hold a <typeparamref name="T"/>; the message names it and says <paramref name="what"/> it should hold.</exception>
    public static T? ReadJson<T>(string path, string what) where T : class
    {
        if (!File.Exists(path)) return null;
        try
        {
            return JsonSerializer.Deserialize<T>(File.ReadAllText(path)) ?? throw new JsonException("the file holds null");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path} does not hold {what} ({e.Message}).", e);
        }
    }
}
