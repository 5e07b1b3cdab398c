using System.Diagnostics;
using Appliance.Launch;
using Appliance.Nodes.Postgres;
using Appliance.Testing;

namespace Appliance.Chaos;

/// <summary>
/// One <c>appliance node</c> process inside its namespace: started with <c>ip netns exec</c> (which execs, so the
/// pid we hold is the host's own), output appended to <c>node.log</c> in its directory.
/// </summary>
public sealed class ChaosNode
{
    private readonly object _gate = new();
    private readonly object _logGate = new();
    private Process? _process;
    private StreamWriter? _log;

    /// <summary>Creates node <paramref name="index"/> (1-based) of <paramref name="cluster"/>.</summary>
    public ChaosNode(ChaosCluster cluster, int index)
    {
        Cluster = cluster;
        Index = index;
        Name = $"n{index}";
        Dir = Path.Combine(cluster.Dir, Name);
    }

    /// <summary>The cluster.</summary>
    public ChaosCluster Cluster { get; }

    /// <summary>1-based index, also the last octet of its address.</summary>
    public int Index { get; }

    /// <summary>Instance id.</summary>
    public string Name { get; }

    /// <summary>Its data directory (PostgreSQL's is <c>pgdata</c> inside).</summary>
    public string Dir { get; }

    /// <summary>Its address in the lab.</summary>
    public string Address => Cluster.Lab.Address(Index);

    /// <summary>HTTP API base URL.</summary>
    public string Url => $"http://{Address}:{ChaosCluster.HttpPort}";

    /// <summary>When the running process was started (harness clock); the oldest live member hosts the coordinator.</summary>
    public TimeSpan StartedAt { get; private set; }

    /// <summary>How many times the process was started.</summary>
    public int Starts { get; private set; }

    /// <summary>The nemesis keeps it down: the supervisor must not restart it.</summary>
    public bool HeldDown { get; set; }

    /// <summary>The host process's pid, or 0.</summary>
    public int HostPid { get { lock (_gate) return _process is { } p && !p.HasExited ? p.Id : 0; } }

    /// <summary>True while the host process runs.</summary>
    public bool Running { get { lock (_gate) return _process is { HasExited: false }; } }

    /// <summary>Starts the host process (no-op if it runs).</summary>
    public void Start()
    {
        lock (_gate)
        {
            if (_process is { HasExited: false }) return;
            _process?.Dispose();
            Directory.CreateDirectory(Dir);
            File.SetUnixFileMode(Dir, (UnixFileMode)0b111_101_101);
            lock (_logGate) _log ??= new StreamWriter(Log.Path, append: true) { AutoFlush = true };
            // ip netns exec execs the node, so the pid we hold is the host's own; its output is piped back and written
            // here, interleaved with the harness's notes.
            var flags = new NodeFlags(Name, ChaosCluster.AkkaPort, ChaosCluster.HttpPort, ChaosCluster.PgPort, Dir, Cluster.SeedNodes,
                $"sqlite:{Cluster.StateStore}")
            {
                Host = Address,
                ExitWithParent = Environment.ProcessId,
                Extra = ["--client-networks", Cluster.Lab.Cidr, "--cluster-size", $"{Cluster.Nodes.Count}"],
            };
            var p = new NodeLaunch(Executable.Dotnet(Cluster.ApplianceDll).Through("ip", "netns", "exec", Cluster.Lab.Namespace(Index)), flags.Arguments())
            {
                Environment = new Dictionary<string, string?> { ["APPLIANCE_PG_PASSWORD"] = ChaosCluster.Password, ["APPLIANCE_ENDPOINT"] = null,
                    [TestRuntime.TierZeroOnly.Key] = TestRuntime.TierZeroOnly.Value },
            }.Start();
            p.OutputDataReceived += (_, e) => { if (e.Data is not null) Append(e.Data); };
            p.ErrorDataReceived += (_, e) => { if (e.Data is not null) Append("stderr: " + e.Data); };
            p.BeginOutputReadLine();
            p.BeginErrorReadLine();
            _process = p;
            SingletonState = null;
            StartedAt = Cluster.History.Now;
            Starts++;
            Note($"started host pid {p.Id}");
        }
    }

    /// <summary>The postmaster's pid from <c>pgdata/postmaster.pid</c> if that process is alive, else 0.</summary>
    public int PostmasterPid
    {
        get
        {
            try
            {
                var first = File.ReadLines(Path.Combine(Dir, "pgdata", "postmaster.pid")).FirstOrDefault();
                return int.TryParse(first, out var pid) && ProcessSignal.IsAlive(pid) ? pid : 0;
            }
            catch (IOException) { return 0; }
        }
    }

    /// <summary>kill -9 of the host process only; its postmaster lives on, orphaned, as after a crash of the agent.</summary>
    public void KillHost()
    {
        var pid = HostPid;
        Note($"kill -9 host {pid}");
        ProcessSignal.Send(pid, ProcessSignal.Kill);
        WaitExited();
    }

    /// <summary>kill -9 of the host and of every process in the node's namespace: the machine crashed.</summary>
    public void Crash()
    {
        Note("crash (kill -9 every process of the namespace)");
        foreach (var pid in Cluster.Lab.Pids(Index)) ProcessSignal.Send(pid, ProcessSignal.Kill);
        WaitExited();
    }

    /// <summary>kill -9 of the postmaster alone (its backends exit by themselves).</summary>
    public void KillPostmaster()
    {
        var pid = PostmasterPid;
        Note($"kill -9 postmaster {pid}");
        ProcessSignal.Send(pid, ProcessSignal.Kill);
    }

    /// <summary>SIGSTOP (<paramref name="stop"/>) or SIGCONT of the host process.</summary>
    public void PauseHost(bool stop)
    {
        var pid = HostPid;
        Note($"{(stop ? "SIGSTOP" : "SIGCONT")} host {pid}");
        ProcessSignal.Send(pid, stop ? ProcessSignal.Stop : ProcessSignal.Cont);
    }

    /// <summary>SIGSTOP or SIGCONT of the postmaster and its children: a hung database server.</summary>
    /// <returns>The pids signalled, so that the same ones can be continued.</returns>
    public IReadOnlyList<int> PausePostmaster(bool stop, IReadOnlyList<int>? pids = null)
    {
        var pm = PostmasterPid;
        pids ??= pm == 0 ? [] : [pm, .. ProcessSignal.ChildrenOf(pm)];
        Note($"{(stop ? "SIGSTOP" : "SIGCONT")} postmaster and children {string.Join(",", pids)}");
        foreach (var pid in pids) ProcessSignal.Send(pid, stop ? ProcessSignal.Stop : ProcessSignal.Cont);
        return pids;
    }

    /// <summary>SIGTERM: a planned stop (the host hands over and stops PostgreSQL).</summary>
    public void Terminate()
    {
        Note("SIGTERM host");
        ProcessSignal.Send(HostPid, ProcessSignal.Term);
    }

    /// <summary>Waits for the host process to be gone (at most <paramref name="seconds"/>).</summary>
    public bool WaitExited(int seconds = 30)
    {
        Process? p;
        lock (_gate) p = _process;
        return p is null || p.WaitForExit(seconds * 1000);
    }

    /// <summary>Writes a line into the node's log, so that harness actions and node output interleave.</summary>
    public void Note(string text) => Append($"=== harness {Cluster.History.Now.TotalSeconds:0.000} s: {text} ===");

    // Output can still arrive after CloseLog (a process outliving the run's end); it is dropped then.
    private void Append(string line)
    {
        // The host logs each move of its singleton manager: "ClusterSingletonManager state change [Younger -> Oldest]".
        var at = line.IndexOf("ClusterSingletonManager state change [", StringComparison.Ordinal);
        if (at >= 0)
        {
            var arrow = line.IndexOf("-> ", at, StringComparison.Ordinal);
            var end = arrow < 0 ? -1 : line.IndexOf(']', arrow);
            if (end > arrow) SingletonState = line[(arrow + 3)..end];
        }
        lock (_logGate) _log?.WriteLine(line);
    }

    /// <summary>
    /// The coordinator singleton manager's last state as this process logged it (<c>Oldest</c> while it hosts the
    /// coordinator), or null before it said anything.
    /// </summary>
    public string? SingletonState { get; private set; }

    /// <summary>The last <paramref name="lines"/> lines of its log.</summary>
    public string Tail(int lines = 30) => string.Join("\n", Log.Since(0).TakeLast(lines));

    /// <summary>Its log, <c>nN.log</c> in the run directory: the node's output with the harness's actions interleaved.</summary>
    public GrowingLog Log => new(Path.Combine(Cluster.Dir, $"{Name}.log"), _logGate);

    /// <summary>PostgreSQL's own log, which the node appends to <c>postgresql.log</c> beside the data directory.</summary>
    public GrowingLog ServerLog => new(Path.Combine(Dir, "postgresql.log"));

    /// <summary>Closes the log.</summary>
    public void CloseLog()
    {
        lock (_gate) _process?.Dispose();
        lock (_logGate)
        {
            _log?.Dispose();
            _log = null;
        }
    }
}

/// <summary>A log file that only grows: where it ends now (a mark), and the lines written after a mark.</summary>
/// <param name="path">The file.</param>
/// <param name="writerGate">The lock its writer in this process holds while it writes a line, if any: a mark taken under it is at a line's end.</param>
public sealed class GrowingLog(string path, object? writerGate = null)
{
    /// <summary>The file.</summary>
    public string Path => path;

    /// <summary>Where the file ends now (0 before it exists).</summary>
    public long Mark
    {
        get
        {
            if (writerGate is null) return Length();
            lock (writerGate) return Length();
        }
    }

    private long Length()
    {
        var file = new FileInfo(path);
        return file.Exists ? file.Length : 0;
    }

    /// <summary>The lines after <paramref name="mark"/>; none if the file does not exist.</summary>
    public IReadOnlyList<string> Since(long mark)
    {
        try
        {
            using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            fs.Seek(mark, SeekOrigin.Begin);
            using var r = new StreamReader(fs);
            return r.ReadToEnd().Split('\n');
        }
        catch (IOException) { return []; }
    }
}
