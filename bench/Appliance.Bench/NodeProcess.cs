using System.Diagnostics;
using Appliance.Launch;
using Appliance.Nodes.Postgres;

namespace Appliance.Bench;

/// <summary>One <c>appliance node</c> process, its output appended to <c>DIR/node.log</c>.</summary>
internal sealed class NodeProcess(string name, int pgPort, int httpPort, int akkaPort, string dataDir)
{
    public string Name { get; } = name;
    public int PgPort { get; } = pgPort;
    public int HttpPort { get; } = httpPort;
    public int AkkaPort { get; } = akkaPort;
    public string DataDir { get; } = dataDir;
    public string Url => $"http://127.0.0.1:{HttpPort}";
    public string LogFile => Path.Combine(DataDir, "..", Name + ".log");
    public string PgData => Path.Combine(DataDir, "pgdata");
    public Process? Process { get; private set; }
    public double StartedAt { get; private set; }
    public bool Running => Process is { HasExited: false };

    /// <summary>Starts the node; <paramref name="extra"/> adds flags such as <c>--rejoin manual</c>.</summary>
    public void Start(BenchSettings s, IEnumerable<string> seeds, string stateStore, params string[] extra)
    {
        Directory.CreateDirectory(DataDir);
        var flags = new NodeFlags(Name, AkkaPort, HttpPort, PgPort, DataDir, [.. seeds], stateStore)
        {
            Host = "127.0.0.1",
            ExitWithParent = Environment.ProcessId,
            Extra = extra,
        };
        var launch = new NodeLaunch(Executable.Dotnet(s.ApplianceDll), flags.Arguments())
        {
            Environment = new Dictionary<string, string?> { ["APPLIANCE_PG_PASSWORD"] = BenchSettings.Password, ["APPLIANCE_ENDPOINT"] = null },
            // The pid we hold stays the host's own (what /status reports as hostPid), and the output survives a kill -9.
            LogFile = LogFile,
        };
        File.AppendAllText(LogFile, $"\n===== bench: start {DateTime.Now:O} {string.Join(' ', extra)}\n");
        StartedAt = Clock.Now;
        Process = launch.Start();
    }

    /// <summary>Postmaster pid from postmaster.pid, if the file is there.</summary>
    public int? PostmasterPid()
    {
        try
        {
            var first = File.ReadLines(Path.Combine(PgData, "postmaster.pid")).FirstOrDefault();
            return int.TryParse(first, out var pid) ? pid : null;
        }
        catch (IOException) { return null; }
    }

    /// <summary>A host crash: SIGKILL the host, its postmaster and every child of either, all at once (the Patroni harness's definition).</summary>
    public async Task<(double At, List<int> Victims)> CrashAsync(int? postmasterPid)
    {
        var host = Process ?? throw new InvalidOperationException($"{Name} is not running");
        var pm = postmasterPid ?? PostmasterPid();
        var victims = new List<int> { host.Id };
        if (pm is { } p) { victims.Add(p); victims.AddRange(ProcessSignal.ChildrenOf(p)); }
        victims.AddRange(ProcessSignal.ChildrenOf(host.Id));
        victims = [.. victims.Distinct()];
        var at = Clock.Now;
        foreach (var v in victims) ProcessSignal.Send(v, ProcessSignal.Kill);
        await host.WaitForExitAsync();
        for (var i = 0; i < 100 && victims.Any(ProcessSignal.IsAlive); i++) await Task.Delay(50);
        return (at, victims);
    }

    /// <summary>SIGTERM, wait; SIGKILL (host and postmaster) if it does not exit within <paramref name="timeout"/>.</summary>
    public async Task StopAsync(TimeSpan timeout)
    {
        if (Process is not { } p) return;
        if (!p.HasExited)
        {
            ProcessSignal.Send(p.Id, ProcessSignal.Term);
            using var cts = new CancellationTokenSource(timeout);
            try { await p.WaitForExitAsync(cts.Token); }
            catch (OperationCanceledException) { ProcessSignal.Send(p.Id, ProcessSignal.Kill); await p.WaitForExitAsync(); }
        }
        KillLeftoverPostmaster();
    }

    /// <summary>A postmaster that outlived its host (after a kill -9 of the host alone) is stopped by pid file.</summary>
    public void KillLeftoverPostmaster()
    {
        if (PostmasterPid() is { } pm && ProcessSignal.IsAlive(pm) && File.Exists($"/proc/{pm}/cmdline")
            && File.ReadAllText($"/proc/{pm}/cmdline").Contains(PgData))
        {
            ProcessSignal.Send(pm, ProcessSignal.Kill);
            foreach (var c in ProcessSignal.ChildrenOf(pm)) ProcessSignal.Send(c, ProcessSignal.Kill);
        }
    }

    /// <summary>
    /// When this incarnation took over the coordinator singleton (Akka runs it on the oldest member and logs
    /// "ClusterSingletonManager state change [… -> Oldest]"), as the log's ISO timestamp; null if it has not.
    /// </summary>
    public string? CoordinatorSince()
    {
        var log = LogText();
        var start = log.LastIndexOf("===== bench: start", StringComparison.Ordinal);
        var line = log[Math.Max(0, start)..].Split('\n').LastOrDefault(l => l.Contains("-> Oldest]", StringComparison.Ordinal));
        return line?.Split(' ')[0];
    }

    public string LogText() => File.Exists(LogFile) ? File.ReadAllText(LogFile) : "";
}
