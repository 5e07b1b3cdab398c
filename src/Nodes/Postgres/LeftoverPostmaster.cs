namespace Appliance.Nodes.Postgres;

/// <summary>
/// A postmaster that an earlier run of this node left behind. When the node's host process dies without stopping
/// PostgreSQL (kill -9, an out-of-memory kill, a crash), the postmaster lives on, orphaned: it keeps the data
/// directory and the port, so the restarted host could never start PostgreSQL again, and it keeps serving its old role
/// with nobody to fence it. Only the node's own host starts PostgreSQL on its data directory, so at start-up such a
/// server is the dead host's, and stopping it (immediate shutdown, as a crash would have) is the way back.
/// </summary>
public static class LeftoverPostmaster
{
    /// <summary>
    /// Stops the postmaster that <c>postmaster.pid</c> in <paramref name="dataDirectory"/> names, if it is alive and
    /// runs on that directory: SIGQUIT (immediate shutdown), then SIGKILL of every process still in the directory once
    /// <paramref name="timeout"/> has passed. Call it only while no other host process of this node can be running.
    /// </summary>
    /// <returns>The pid stopped, or null when no server ran.</returns>
    public static async Task<int?> StopAsync(string dataDirectory, TimeSpan timeout, CancellationToken ct)
    {
        var file = System.IO.Path.Combine(dataDirectory, PostmasterPidFile.FileName);
        if (!File.Exists(file)) return null;
        var pidFile = PostmasterPidFile.TryParse(await File.ReadAllTextAsync(file, ct).ConfigureAwait(false));
        if (pidFile is null || !DataDirectory.ProcessRunsOn(pidFile.Pid, dataDirectory)) return null;

        // Its children are noted first: once it is gone they are orphans, and where their working directory cannot be
        // read (a node without the right to inspect the postgres user's processes) nothing else would find them.
        var children = ProcStat.ChildrenOf(pidFile.Pid);
        _ = ProcessSignal.Send(pidFile.Pid, ProcessSignal.Quit);
        // Every tenth of a second, not Poll's default: each look lists every process on the machine.
        if (await Poll.WithinAsync(() => Task.FromResult(!ProcStat.Alive(pidFile.Pid) && !children.Any(ProcStat.Alive) && !ProcessesIn(dataDirectory).Any()),
                timeout, TimeSpan.FromMilliseconds(100), ct).ConfigureAwait(false))
            return pidFile.Pid;
        // Backends that outlive their postmaster would keep its shared memory and block the next start.
        foreach (var pid in ProcessesIn(dataDirectory).Concat(children).Append(pidFile.Pid).Distinct().Where(ProcStat.Alive))
            _ = ProcessSignal.Send(pid, ProcessSignal.Kill);
        return pidFile.Pid;
    }

    // Only processes seen to run in the directory: one whose working directory cannot be read (init in some
    // containers, another user's process when the node does not run as root) is not taken for a backend, or every
    // restart after a crash would wait out the whole timeout for it. The postmaster itself is watched by its pid.
    private static IEnumerable<int> ProcessesIn(string dataDirectory) =>
        ProcStat.AllPids()
            .Where(pid => pid != Environment.ProcessId && DataDirectory.WorkingDirectoryIs(pid, dataDirectory) == true && !ProcStat.IsZombie(pid))
            .ToList();
}
