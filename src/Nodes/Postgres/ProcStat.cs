namespace Appliance.Nodes.Postgres;

/// <summary>What the driver reads of other processes in <c>/proc/PID/stat</c>: their parent and whether they are zombies.</summary>
internal static class ProcStat
{
    /// <summary>Every process id in <c>/proc</c>.</summary>
    public static IEnumerable<int> AllPids() =>
        Directory.EnumerateDirectories("/proc")
            .Select(d => int.TryParse(Path.GetFileName(d), out var pid) ? pid : 0)
            .Where(pid => pid > 0);

    /// <summary>The processes whose parent is <paramref name="parent"/> now.</summary>
    public static int[] ChildrenOf(int parent) => AllPids().Where(pid => ParentOf(pid) == parent).ToArray();

    /// <summary>The parent of <paramref name="pid"/>; null when it is gone.</summary>
    public static int? ParentOf(int pid) =>
        Fields(pid) is { Length: > 1 } fields && int.TryParse(fields[1], out var ppid) ? ppid : null;

    /// <summary>Whether <paramref name="pid"/> exists and has not exited (a zombie waits only for its parent to reap it).</summary>
    public static bool Alive(int pid) => Fields(pid) is { Length: > 0 } fields && fields[0] != "Z";

    /// <summary>Whether <paramref name="pid"/> has exited and waits to be reaped.</summary>
    public static bool IsZombie(int pid) => Fields(pid) is { Length: > 0 } fields && fields[0] == "Z";

    /// <summary>The arguments <paramref name="pid"/> was started with (<c>/proc/PID/cmdline</c>); null when it is gone or unreadable.</summary>
    public static string[]? CommandLine(int pid)
    {
        try { return File.ReadAllText($"/proc/{pid}/cmdline").Split('\0', StringSplitOptions.RemoveEmptyEntries); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
    }

    /// <summary>When <paramref name="pid"/> started, in clock ticks since boot (<c>starttime</c>); null when it is gone.</summary>
    public static ulong? StartTicks(int pid) =>
        Fields(pid) is { Length: > 19 } fields && ulong.TryParse(fields[19], out var ticks) ? ticks : null;

    // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so the fields start after the last ')'.
    private static string[]? Fields(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
    }
}
