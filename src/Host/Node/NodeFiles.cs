using System.Security.Cryptography;
using Appliance.Nodes.Postgres;

namespace Appliance.Host.Node;

/// <summary>The files a node keeps beside PostgreSQL's data directory, and the checks on where they live.</summary>
public static class NodeFiles
{
    /// <summary>The file, under a node's data directory, that holds the generated superuser password.</summary>
    public const string PasswordFileName = "pg-password";

    /// <summary>
    /// The password stored in <paramref name="dataDir"/>'s password file, created (32 random characters, mode 0600,
    /// readable only by this process's user) if it does not exist yet.
    /// </summary>
    public static string ReadOrCreatePassword(string dataDir) => ReadOrCreateSecret(Path.Combine(dataDir, PasswordFileName));

    /// <summary>
    /// The secret in <paramref name="path"/>, created (32 random letters and digits, mode 0600, readable only by this
    /// process's user) if the file does not exist yet or is empty.
    /// </summary>
    public static string ReadOrCreateSecret(string path)
    {
        if (OperatingSystem.IsWindows()) throw new PlatformNotSupportedException("The appliance runs on Linux.");
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        if (File.Exists(path))
        {
            var existing = File.ReadAllText(path).Trim();
            if (existing.Length > 0) return existing;
        }
        var secret = RandomNumberGenerator.GetString("abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789", 32);
        using (var stream = new FileStream(path, new FileStreamOptions
               {
                   Mode = FileMode.Create, Access = FileAccess.Write,
                   UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
               }))
        using (var writer = new StreamWriter(stream))
            writer.WriteLine(secret);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return secret;
    }

    /// <summary>
    /// When this process is root (PostgreSQL then runs as the <c>postgres</c> user), the first existing parent of
    /// <paramref name="directory"/> that others cannot traverse; null when every parent is fine or we are not root.
    /// </summary>
    public static string? UntraversableParent(string directory)
    {
        if (!OperatingSystem.IsLinux() || !PostgresOsUser.DriverIsRoot) return null;
        var dir = new DirectoryInfo(Path.GetFullPath(directory));
        for (var d = dir.Exists ? dir.Parent : dir.Parent; d is not null; d = d.Parent)
        {
            if (!d.Exists) continue;
            if ((d.UnixFileMode & UnixFileMode.OtherExecute) == 0) return d.FullName;
        }
        return null;
    }

    /// <summary>Creates <paramref name="dataDir"/> (mode 0755, so that the postgres user reaches pgdata inside it).</summary>
    /// <exception cref="NodeConfigurationException">A parent is not traversable by the postgres user, or creating it failed.</exception>
    public static void PrepareDataDirectory(string dataDir)
    {
        if (OperatingSystem.IsWindows()) throw new PlatformNotSupportedException("The appliance runs on Linux.");
        if (UntraversableParent(dataDir) is { } blocked)
            throw new NodeConfigurationException(
                $"--data-dir {dataDir} is not reachable by the postgres user, which runs PostgreSQL when the node runs as root: " +
                $"{blocked} has mode {Convert.ToString((int)File.GetUnixFileMode(blocked), 8)} (others cannot enter it). " +
                "Use a data directory under /var/lib or /tmp, or run the node as a non-root user.");
        try
        {
            var created = !Directory.Exists(dataDir);
            Directory.CreateDirectory(dataDir);
            if (created && OperatingSystem.IsLinux())
                File.SetUnixFileMode(dataDir, (UnixFileMode)0b111_101_101);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new NodeConfigurationException($"--data-dir {dataDir} cannot be created ({e.Message}). Choose a directory this user may write.");
        }
    }
}
