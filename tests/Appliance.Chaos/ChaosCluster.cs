using System.Net.Http.Json;
using Appliance.Host.Api;
using Appliance.Host.Api.Json;
using Appliance.Host.Cli;
using Appliance.Testing;
using Appliance.Nodes.Postgres;

namespace Appliance.Chaos;

/// <summary>
/// N real <c>appliance node</c> processes, each in its own namespace of a <see cref="NetworkLab"/>, sharing one
/// SQLite state store file (the file system is not partitioned: a limit of this harness, see docs/CHAOS.md). Every
/// node uses the same ports on its own address. A supervisor restarts any node process that exited (as systemd's
/// <c>Restart=always</c> would), unless a nemesis holds it down: a node downed by the split-brain resolver exits
/// by design and relies on that.
/// </summary>
public sealed class ChaosCluster : IAsyncDisposable
{
    /// <summary>Root of every run's directory (traversable by postgres).</summary>
    public const string Root = "/tmp/appliance-chaos";
    /// <summary>PostgreSQL port on every node.</summary>
    public const int PgPort = 5432;
    /// <summary>HTTP port on every node.</summary>
    public const int HttpPort = 8008;
    /// <summary>Akka port on every node.</summary>
    public const int AkkaPort = 4053;
    /// <summary>The postgres superuser's password on every node.</summary>
    public const string Password = "chaos 'pw' \\x";

    private readonly CancellationTokenSource _stop = new();
    private Task? _supervisor;

    private ChaosCluster(NetworkLab lab, string dir, History history, int nodes)
    {
        Lab = lab;
        Dir = dir;
        History = history;
        for (var i = 1; i <= nodes; i++) Nodes.Add(new ChaosNode(this, i));
    }

    /// <summary>The network.</summary>
    public NetworkLab Lab { get; }

    /// <summary>This run's directory: node directories, logs, the state store, the report.</summary>
    public string Dir { get; }

    /// <summary>The run's timeline.</summary>
    public History History { get; }

    /// <summary>The nodes, n1 first.</summary>
    public List<ChaosNode> Nodes { get; } = [];

    /// <summary>The SQLite state store every node shares.</summary>
    public string StateStore => Path.Combine(Dir, "state.db");

    /// <summary>The built appliance binary.</summary>
    public string ApplianceDll { get; } = Path.Combine(AppContext.BaseDirectory, "appliance.dll");

    /// <summary><c>--seed-nodes</c>, the same on every node.</summary>
    public IReadOnlyList<string> SeedNodes => [.. Nodes.Select(n => $"{n.Address}:{AkkaPort}")];

    /// <summary>For the harness's own requests; short, so a paused node does not stall a check.</summary>
    public HttpClient Http { get; } = new() { Timeout = TimeSpan.FromSeconds(3) };

    /// <summary>Builds the lab and starts <paramref name="nodes"/> node processes (does not wait for them).</summary>
    /// <exception cref="ChaosEnvironmentException">Root, ip, dotnet, PostgreSQL or the binary is missing.</exception>
    public static ChaosCluster Start(int nodes, History history, Random random)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "appliance.dll");
        if (!File.Exists(dll)) throw new ChaosEnvironmentException($"the appliance binary is not built at {dll}");
        if (!Directory.EnumerateDirectories("/usr/lib/postgresql").Any(d => File.Exists(Path.Combine(d, "bin", "postgres"))))
            throw new ChaosEnvironmentException("PostgreSQL is not installed (/usr/lib/postgresql/*/bin/postgres)");
        var lab = NetworkLab.Create(nodes, random);
        string dir;
        try
        {
            if (!Directory.Exists(Root))
            {
                Directory.CreateDirectory(Root);
                File.SetUnixFileMode(Root, (UnixFileMode)0b111_111_111 | UnixFileMode.StickyBit);
            }
            SweepStaleDirectories();
            dir = Directory.CreateDirectory(Path.Combine(Root, $"{Environment.ProcessId}-s{lab.Subnet}-{DateTime.UtcNow:HHmmss}")).FullName;
            File.SetUnixFileMode(dir, (UnixFileMode)0b111_101_101);
        }
        catch
        {
            lab.Dispose();
            throw;
        }
        var cluster = new ChaosCluster(lab, dir, history, nodes);
        history.Log($"lab {lab.Cidr}, bridge {lab.Bridge}, run directory {dir}");
        foreach (var n in cluster.Nodes) n.Start();
        cluster._supervisor = Task.Run(() => cluster.SuperviseAsync(cluster._stop.Token));
        return cluster;
    }

    /// <summary>The file a kept run directory holds, so that no later run's sweep removes it.</summary>
    public const string KeptMarker = "KEPT";

    // Run directories of harness processes that are gone (their pid is the first part of the name), unless kept.
    private static void SweepStaleDirectories()
    {
        foreach (var d in Directory.EnumerateDirectories(Root))
        {
            var pidText = Path.GetFileName(d).Split('-')[0];
            if (int.TryParse(pidText, out var pid) && !Directory.Exists($"/proc/{pid}") && !File.Exists(Path.Combine(d, KeptMarker))
                && Environment.GetEnvironmentVariable("CHAOS_KEEP") is null)
                try { ScratchDirectory.Delete(d); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    private async Task SuperviseAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            foreach (var n in Nodes.Where(n => !n.Running && !n.HeldDown))
            {
                History.Log($"supervisor: {n.Name} is not running; restarting it");
                n.Start();
            }
            try { await Task.Delay(1000, ct); } catch (OperationCanceledException) { }
        }
    }

    /// <summary>GET /cluster from the first live node that answers; null if none does.</summary>
    public async Task<ClusterViewDto?> ClusterViewAsync()
    {
        foreach (var n in Nodes.Where(n => n.Running))
        {
            try { return await Http.GetFromJsonAsync<ClusterViewDto>(n.Url + "/cluster", ApiJson.Options); }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or System.Text.Json.JsonException) { }
        }
        return null;
    }

    /// <summary>GET /status of one node, or null.</summary>
    public async Task<StatusDto?> StatusAsync(ChaosNode n)
    {
        try { return await Http.GetFromJsonAsync<StatusDto>(n.Url + "/status", ApiJson.Options); }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or System.Text.Json.JsonException) { return null; }
    }

    /// <summary>The newest state any live node holds (highest version), or null.</summary>
    public async Task<StateDto?> StateAsync()
    {
        StateDto? best = null;
        foreach (var n in Nodes.Where(n => n.Running))
        {
            try
            {
                var s = await Http.GetFromJsonAsync<StateDto>(n.Url + "/state", ApiJson.Options);
                if (s is not null && (best is null || s.Version > best.Version)) best = s;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or System.Text.Json.JsonException) { }
        }
        return best;
    }

    /// <summary>The node the newest state names in <paramref name="role"/> (primary, sync), or null.</summary>
    public async Task<ChaosNode?> NodeInRoleAsync(string role)
    {
        var s = await StateAsync();
        var id = role switch { "primary" => s?.Primary?.Id, "sync" => s?.Sync?.Id, _ => s?.Async.FirstOrDefault()?.Id };
        return Nodes.FirstOrDefault(n => n.Name == id);
    }

    /// <summary>
    /// The node that hosts the coordinator singleton: the live node whose singleton manager last logged
    /// <c>Oldest</c>; failing that, the live node that has run longest (the oldest Akka member, usually).
    /// </summary>
    public ChaosNode? OldestMember() =>
        Nodes.FirstOrDefault(n => n.Running && n.SingletonState == "Oldest") ?? Nodes.Where(n => n.Running).MinBy(n => n.StartedAt);

    /// <summary>
    /// Healthy as the design means it: verify finds no problem, and the state names a primary, a sync and every
    /// other node as an async.
    /// </summary>
    public async Task<(bool Healthy, string Why)> HealthAsync()
    {
        var view = await ClusterViewAsync();
        if (view is null) return (false, "no node answered GET /cluster");
        var problems = Verify.Problems(view);
        if (problems.Count > 0) return (false, string.Join("; ", problems));
        var s = view.State!;
        if (s.Sync is null || s.Async.Count != Nodes.Count - 2)
            return (false, $"state names primary {s.Primary?.Id}, sync {s.Sync?.Id}, asyncs [{string.Join(",", s.Async.Select(a => a.Id))}]; expected all {Nodes.Count}");
        return (true, $"primary {s.Primary?.Id}, sync {s.Sync?.Id}, asyncs [{string.Join(",", s.Async.Select(a => a.Id))}], generation {s.Generation}");
    }

    /// <summary>Waits until <see cref="HealthAsync"/> holds; returns how long that took, or throws with the reason.</summary>
    public async Task<TimeSpan> WaitHealthyAsync(TimeSpan timeout)
    {
        var start = History.Now;
        var why = "";
        while (History.Now - start < timeout)
        {
            (var healthy, why) = await HealthAsync();
            if (healthy) return History.Now - start;
            await Task.Delay(250);
        }
        // The reason comes last as well: a CI report shows the end of a long failure first.
        throw new ChaosCheckException($"the cluster did not heal within {timeout.TotalSeconds:0} s: {why}\n{Logs()}\n" +
                                      $"{await NodeStatusesAsync()}{RoleEvents()}\nnot healed: {why}");
    }

    /// <summary>Each running node's own account (GET /status), a line each.</summary>
    public async Task<string> NodeStatusesAsync()
    {
        var sb = new System.Text.StringBuilder("\n--- node status ---");
        foreach (var n in Nodes)
        {
            var s = n.Running ? await StatusAsync(n) : null;
            sb.Append('\n').Append(s is null
                ? $"{n.Name}: {(n.Running ? "no answer" : "not running")}"
                : $"{s.Id}: role {s.Role} (assigned {s.AssignedRole}), state v{s.StateVersion} applied v{s.AppliedVersion}, " +
                  $"postgres {(s.PostgresRunning ? "up" : "down")}, streaming {s.Streaming}, timeline {s.Timeline}, wal {s.WalPosition}, " +
                  $"last error {s.LastError ?? "-"}");
        }
        return sb.ToString();
    }

    // What each node's roles did over the whole run, which a log tail full of cluster chatter hides.
    private static readonly System.Text.RegularExpressions.Regex RoleEvent = new(
        "role .* failed|: role \\w+ is |ready to rejoin|promoted onto|applied for state|: state v\\d+|State transition|exited on its own|self-fenc",
        System.Text.RegularExpressions.RegexOptions.IgnoreCase);

    /// <summary>The last <paramref name="lines"/> role events of every node, found over its whole log.</summary>
    public string RoleEvents(int lines = 12) =>
        string.Concat(Nodes.Select(n =>
            $"\n--- {n.Name}: last role events ---\n{string.Join("\n", n.Log.Since(0).Where(l => RoleEvent.IsMatch(l)).TakeLast(lines))}"));

    /// <summary>The tail of every node's log.</summary>
    public string Logs(int lines = 25) =>
        string.Concat(Nodes.Select(n => $"\n--- {n.Name} (running: {n.Running}) ---\n{n.Tail(lines)}"));

    /// <summary>Stops the supervisor, kills every process, removes the lab; keeps the directory if <paramref name="keep"/>.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        if (_supervisor is not null) await _supervisor;
        // Continue anything a nemesis left stopped, so that SIGKILL is delivered promptly.
        for (var i = 1; i <= Lab.Nodes; i++)
            foreach (var pid in Lab.Pids(i)) ProcessSignal.Send(pid, ProcessSignal.Cont);
        Lab.Dispose();
        foreach (var n in Nodes)
        {
            n.WaitExited(10);
            n.CloseLog();
        }
        Http.Dispose();
        _stop.Dispose();
        if (KeepDirectory)
        {
            ScratchDirectory.ReleaseSharedMemory(Dir);
            // Marked, so that a later run's sweep leaves it: a CI run used to delete a long run's kept logs.
            try { File.WriteAllText(Path.Combine(Dir, KeptMarker), "kept for its logs\n"); } catch (IOException) { }
        }
        else
            try { ScratchDirectory.Delete(Dir); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    /// <summary>Keep the run directory (logs) after disposal: set when a check failed, or by CHAOS_KEEP.</summary>
    public bool KeepDirectory { get; set; } = Environment.GetEnvironmentVariable("CHAOS_KEEP") is not null;
}

/// <summary>A check of the run failed: a lost write, two primaries at once, a cluster that did not heal.</summary>
public sealed class ChaosCheckException(string message) : Exception(message);
