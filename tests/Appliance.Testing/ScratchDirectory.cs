using Appliance.Nodes.Postgres;

namespace Appliance.Testing;

/// <summary>
/// Scratch directories under /tmp/appliance-tests: every parent traversable by the postgres user, never under the
/// repository, and deleted without leaking what their killed servers held.
/// </summary>
public static class ScratchDirectory
{
    /// <summary>Where every scratch directory lies.</summary>
    public const string Root = "/tmp/appliance-tests";

    private static readonly TimeSpan DetachWait = TimeSpan.FromSeconds(5);

    /// <summary>A new, empty directory under <see cref="Root"/>, named <paramref name="prefix"/> and a random part.</summary>
    public static string Create(string prefix = "")
    {
        if (!OperatingSystem.IsLinux()) throw new PlatformNotSupportedException("These tests run PostgreSQL on Linux.");
        var path = Directory.CreateDirectory(Path.Combine(Shared(Root), prefix + Guid.NewGuid().ToString("N")[..12])).FullName;
        File.SetUnixFileMode(path, (UnixFileMode)0b111_101_101);
        return path;
    }

    /// <summary>Creates <paramref name="path"/> if it is missing, shared like /tmp (runs as root and as other users can both use it).</summary>
    public static string Shared(string path)
    {
        if (!OperatingSystem.IsLinux()) throw new PlatformNotSupportedException("These tests run PostgreSQL on Linux.");
        if (!Directory.Exists(path))
        {
            Directory.CreateDirectory(path);
            File.SetUnixFileMode(path, (UnixFileMode)0b111_111_111 | UnixFileMode.StickyBit);
        }
        return path;
    }

    /// <summary>
    /// Releases the shared memory segment of every dead postmaster whose data directory lies under
    /// <paramref name="path"/> (a node process killed with its tree leaves one per server, and the kernel allows
    /// 4096), then deletes the directory. A missing directory is fine.
    /// </summary>
    public static void Delete(string path)
    {
        if (!Directory.Exists(path)) return;
        ReleaseSharedMemory(path);
        Directory.Delete(path, recursive: true);
    }

    /// <summary>
    /// Releases the segments of the dead postmasters under <paramref name="path"/>, waiting a little for backends
    /// that have not noticed their postmaster's death yet.
    /// </summary>
    public static void ReleaseSharedMemory(string path)
    {
        var pidFiles = Directory.EnumerateFiles(path, PostmasterPidFile.FileName,
            new EnumerationOptions { RecurseSubdirectories = true, MaxRecursionDepth = 4, IgnoreInaccessible = true });
        foreach (var file in pidFiles)
        {
            var dataDirectory = Path.GetDirectoryName(file)!;
            var deadline = DateTime.UtcNow + DetachWait;
            while (!OrphanedSharedMemory.Release(dataDirectory) && DateTime.UtcNow < deadline && StillAttached(file))
                Thread.Sleep(50);
        }
    }

    private static bool StillAttached(string pidFile)
    {
        try
        {
            // Only a dead postmaster's backends are worth the wait: they leave within moments.
            return PostmasterPidFile.TryParse(File.ReadAllText(pidFile)) is { SharedMemoryId: { } id } postmaster
                && !Directory.Exists($"/proc/{postmaster.Pid}")
                && OrphanedSharedMemory.Segment(id) is { Attached: > 0 };
        }
        catch (IOException)
        {
            return false;
        }
    }
}
