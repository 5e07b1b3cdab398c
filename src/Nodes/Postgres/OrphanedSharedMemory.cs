using System.Globalization;

namespace Appliance.Nodes.Postgres;

/// <summary>
/// The System V shared memory segment that a postmaster killed with SIGKILL leaves behind. PostgreSQL removes it
/// itself when a server starts again on the same data directory, but a directory that is deleted instead (a rebuild,
/// a test's scratch directory) would leak it for good, and the kernel allows only <c>kernel.shmmni</c> (4096) of them:
/// past that, no postmaster on the machine can start ("could not create shared memory segment: No space left on device").
/// </summary>
internal static class OrphanedSharedMemory
{
    private const string SegmentTable = "/proc/sysvipc/shm";

    /// <summary>
    /// Removes the segment that <c>postmaster.pid</c> in <paramref name="dataDirectory"/> names, if its postmaster is
    /// dead, the segment is still the one that postmaster created, and no process is attached to it any more.
    /// Anything else (no file, a live server, a backend still attached, no permission) leaves it alone.
    /// </summary>
    /// <returns>True if a segment was removed.</returns>
    public static bool Release(string dataDirectory)
    {
        PostmasterPidFile? pidFile;
        try { pidFile = PostmasterPidFile.TryParse(File.ReadAllText(Path.Combine(dataDirectory, PostmasterPidFile.FileName))); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return false; }
        if (pidFile?.SharedMemoryId is not { } id || DataDirectory.ProcessRunsOn(pidFile.Pid, dataDirectory)) return false;
        // The creator's pid guards against a recycled segment id that now belongs to somebody else.
        if (Segment(id) is not { Creator: var creator, Attached: 0 } || creator != pidFile.Pid) return false;
        return LibC.shmctl(id, LibC.IPC_RMID, IntPtr.Zero) == 0;
    }

    /// <summary>The creator's pid and the number of attached processes of segment <paramref name="id"/>, if it exists.</summary>
    public static (int Creator, int Attached)? Segment(int id)
    {
        string[] lines;
        try { lines = File.ReadAllLines(SegmentTable); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
        // "key shmid perms size cpid lpid nattch uid ...", after a header line.
        foreach (var line in lines.Skip(1))
        {
            var f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (f.Length > 6 && f[1] == id.ToString(CultureInfo.InvariantCulture)
                && int.TryParse(f[4], NumberStyles.None, CultureInfo.InvariantCulture, out var cpid)
                && int.TryParse(f[6], NumberStyles.None, CultureInfo.InvariantCulture, out var nattch))
                return (cpid, nattch);
        }
        return null;
    }
}
