namespace Appliance.Nodes.Postgres;

/// <summary>Writes files only their owner (postgres, when the driver is root) can read: they may hold passwords.</summary>
internal static class PrivateFile
{
    internal static async Task WriteAsync(string path, string content, CancellationToken ct)
    {
        if (OperatingSystem.IsWindows()) throw new PlatformNotSupportedException("The PostgreSQL driver runs on Linux.");
        // Made private while still empty, so the content is never readable by others, not even for a moment.
        await File.WriteAllTextAsync(path, "", ct).ConfigureAwait(false);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        PostgresOsUser.GiveToPostgres(path);
        await File.WriteAllTextAsync(path, content, ct).ConfigureAwait(false);
    }
}
