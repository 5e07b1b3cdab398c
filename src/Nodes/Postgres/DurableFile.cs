using System.Runtime.InteropServices;
using System.Text.Json;

namespace Appliance.Nodes.Postgres;

/// <summary>Small state files the node keeps beside its data directory, written so that a crash leaves the old or the new one, never half of one.</summary>
internal static class DurableFile
{
    /// <summary>
    /// Writes <paramref name="value"/> as JSON to a temporary file, flushes it to disk, renames it over
    /// <paramref name="path"/> and flushes the directory: the file's own flush makes its contents durable, not the rename,
    /// and a fence the node has raised (or a state version it has seen) must still be there after a power loss.
    /// </summary>
    /// <exception cref="IOException">A step failed; the file holds the old value or the new one.</exception>
    public static async Task WriteJsonAsync<T>(string path, T value, CancellationToken ct)
    {
        var temporary = path + ".tmp";
        await using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None, 4096, FileOptions.WriteThrough))
        {
            await JsonSerializer.SerializeAsync(stream, value, cancellationToken: ct).ConfigureAwait(false);
            stream.Flush(flushToDisk: true);
        }
        File.Move(temporary, path, overwrite: true);
        SyncDirectory(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!);
    }

    /// <summary>Flushes <paramref name="directory"/>'s entries to disk, so that a file created or renamed in it survives a power loss.</summary>
    /// <exception cref="IOException">The directory cannot be opened or flushed; the message names it and the reason.</exception>
    public static void SyncDirectory(string directory)
    {
        var fd = LibC.open(directory, LibC.O_RDONLY | LibC.O_CLOEXEC);
        if (fd < 0) throw new IOException($"cannot open the directory {directory} to flush it to disk: {Marshal.GetLastPInvokeErrorMessage()}");
        try
        {
            if (LibC.fsync(fd) != 0)
                throw new IOException($"cannot flush the directory {directory} to disk: {Marshal.GetLastPInvokeErrorMessage()}");
        }
        finally
        {
            _ = LibC.close(fd);
        }
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
