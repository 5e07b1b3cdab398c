namespace Appliance.Nodes.Postgres;

/// <summary>
/// A <c>pgbackrest server</c> that an earlier run of this node left behind. The node starts it as a child process; when
/// the node's host process dies without stopping it (kill -9, an out-of-memory kill, a crash), the server lives on,
/// orphaned, and keeps the port: the restarted node's server could never listen again, and its backoff would retry
/// forever. Only this node runs a server with this node's server config file, so at start-up such a process is the
/// dead host's, and stopping it is the way back, as <see cref="LeftoverPostmaster"/> does for PostgreSQL.
/// </summary>
/// <remarks>
/// A parent-death signal (<c>setpriv --pdeathsig</c>) would not do: Linux sends it when the thread that started the
/// child exits, and .NET starts processes from pool threads that the pool retires when idle.
/// </remarks>
public static class LeftoverPgBackRestServer
{
    /// <summary>
    /// Stops every process that runs <c>pgbackrest … --config=<paramref name="configFile"/> … server</c> and started
    /// before this process did: SIGTERM, then SIGKILL of those still alive once <paramref name="timeout"/> has passed.
    /// Only those: a server forks a detached process for each client connection, with the server's own command line,
    /// and one that this process's server forked is a backup session in flight, not a leftover.
    /// </summary>
    /// <param name="configFile">The server's config file, which only this node's server reads.</param>
    /// <param name="timeout">How long the servers may take to stop on SIGTERM.</param>
    /// <param name="ct">Cancels the wait (those still running are then left).</param>
    /// <param name="startedBefore">The process whose start bounds what counts as left behind; this process when null.</param>
    /// <returns>The process ids found (empty when none ran).</returns>
    public static async Task<IReadOnlyList<int>> StopAsync(string configFile, TimeSpan timeout, CancellationToken ct, int? startedBefore = null)
    {
        var bound = ProcStat.StartTicks(startedBefore ?? Environment.ProcessId) ?? ulong.MaxValue;
        IReadOnlyList<int> found = [.. ServersOf(configFile).Where(pid => ProcStat.StartTicks(pid) < bound)];
        if (found.Count == 0) return found;
        foreach (var pid in found) _ = ProcessSignal.Send(pid, ProcessSignal.Term);
        await Poll.WithinAsync(() => Task.FromResult(!found.Any(ProcStat.Alive)), timeout, TimeSpan.FromMilliseconds(100), ct).ConfigureAwait(false);
        foreach (var pid in found.Where(ProcStat.Alive)) _ = ProcessSignal.Send(pid, ProcessSignal.Kill);
        return found;
    }

    /// <summary>The live processes, other than this one, that serve with <paramref name="configFile"/>.</summary>
    public static IReadOnlyList<int> ServersOf(string configFile) =>
        [.. ProcStat.AllPids().Where(pid => pid != Environment.ProcessId && ProcStat.Alive(pid) && IsServerOf(ProcStat.CommandLine(pid), configFile))];

    /// <summary>Whether <paramref name="arguments"/> start a pgBackRest server with <paramref name="configFile"/>.</summary>
    public static bool IsServerOf(IReadOnlyList<string>? arguments, string configFile) =>
        arguments is { Count: > 0 }
        && arguments.Any(a => Path.GetFileName(a) == "pgbackrest")
        && arguments.Contains("--config=" + configFile, StringComparer.Ordinal)
        && arguments.Contains("server", StringComparer.Ordinal);
}
