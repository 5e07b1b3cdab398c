namespace Appliance.Nodes.Postgres;

/// <summary>
/// Signals to other processes, and whether they still run: the one place outside the driver's own internals that
/// sends kill(2) (.NET's <c>Process.Kill</c> sends only SIGKILL). The driver, the demo, the bench, the chaos harness
/// and the tests all use it.
/// </summary>
public static class ProcessSignal
{
    /// <summary>SIGHUP: PostgreSQL reloads its configuration.</summary>
    public const int Hangup = LibC.SIGHUP;

    /// <summary>SIGINT: Ctrl-C; PostgreSQL's fast shutdown.</summary>
    public const int Interrupt = LibC.SIGINT;

    /// <summary>SIGQUIT: PostgreSQL's immediate shutdown.</summary>
    public const int Quit = LibC.SIGQUIT;

    /// <summary>SIGKILL.</summary>
    public const int Kill = LibC.SIGKILL;

    /// <summary>SIGTERM: a node's graceful stop; PostgreSQL's smart shutdown.</summary>
    public const int Term = LibC.SIGTERM;

    /// <summary>SIGCONT.</summary>
    public const int Cont = 18;

    /// <summary>SIGSTOP.</summary>
    public const int Stop = 19;

    /// <summary>Sends <paramref name="signal"/> to <paramref name="pid"/>; false if it could not (gone, or not ours).</summary>
    public static bool Send(int pid, int signal) => pid > 0 && LibC.kill(pid, signal) == 0;

    /// <summary>Whether <paramref name="pid"/> exists and has not exited (a zombie only waits to be reaped).</summary>
    public static bool IsAlive(int pid) => pid > 0 && ProcStat.Alive(pid);

    /// <summary>The processes whose parent is <paramref name="pid"/> now.</summary>
    public static IReadOnlyList<int> ChildrenOf(int pid) => ProcStat.ChildrenOf(pid);
}
