using System.Runtime.InteropServices;

namespace Appliance.Chaos;

/// <summary>kill(2), for SIGKILL, SIGSTOP and SIGCONT of node hosts and postmasters.</summary>
public static class Signals
{
    /// <summary>SIGKILL.</summary>
    public const int Kill = 9;
    /// <summary>SIGTERM.</summary>
    public const int Term = 15;
    /// <summary>SIGCONT.</summary>
    public const int Cont = 18;
    /// <summary>SIGSTOP.</summary>
    public const int Stop = 19;

    /// <summary>Sends <paramref name="signal"/> to <paramref name="pid"/>; false if it is gone.</summary>
    public static bool Send(int pid, int signal) => pid > 0 && kill(pid, signal) == 0;

    /// <summary>True if the process exists (and is not a zombie we could reap).</summary>
    public static bool Alive(int pid)
    {
        if (pid <= 0 || !Directory.Exists($"/proc/{pid}")) return false;
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var state = stat[(stat.LastIndexOf(')') + 2)..][0];
            return state != 'Z' && state != 'X';
        }
        catch (IOException) { return false; }
    }

    /// <summary>Children of <paramref name="pid"/> (one level), from /proc.</summary>
    public static IReadOnlyList<int> Children(int pid)
    {
        try
        {
            var path = $"/proc/{pid}/task/{pid}/children";
            return File.Exists(path)
                ? [.. File.ReadAllText(path).Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse)]
                : [];
        }
        catch (IOException) { return []; }
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int sig);
}
