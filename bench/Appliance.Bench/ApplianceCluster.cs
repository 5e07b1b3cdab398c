using Npgsql;

namespace Appliance.Bench;

/// <summary>
/// N real <c>appliance node</c> processes on loopback with one SQLite state store, the way the demo runs them.
/// Created empty; <see cref="DisposeAsync"/> freezes the cluster (so that stopping causes no failover), stops
/// every node and PostgreSQL, and removes the data, also after a failure.
/// </summary>
internal sealed class ApplianceCluster : IAsyncDisposable
{
    private readonly BenchSettings _s;

    public List<NodeProcess> Nodes { get; } = [];
    public string Dir { get; }
    public string StateStore => $"sqlite:{Path.Combine(Dir, "state.db")}";

    public ApplianceCluster(BenchSettings s, string label, int nodes = 3)
    {
        _s = s;
        Dir = Path.Combine(s.WorkDir, label);
        if (Directory.Exists(Dir)) Directory.Delete(Dir, recursive: true);
        Directory.CreateDirectory(Dir);
        File.SetUnixFileMode(Dir, (UnixFileMode)0b111_101_101);
        for (var i = 0; i < nodes; i++)
        {
            var b = s.BasePort + 10 * i;
            Nodes.Add(new NodeProcess($"n{i + 1}", b, b + 1, b + 2, Path.Combine(Dir, $"n{i + 1}")));
        }
    }

    public IEnumerable<string> Seeds => Nodes.Select(n => $"127.0.0.1:{n.AkkaPort}");

    /// <summary>Start-ups that did not reach a healthy cluster in time (each is retried from empty); a finding, so kept.</summary>
    public List<string> FormationFailures { get; } = [];

    /// <summary>
    /// Starts every node from empty and waits until the cluster is healthy. On the overloaded shared box a node
    /// sometimes never joins (BENCHMARKS.md, "Findings"); then everything is stopped, wiped and started again.
    /// </summary>
    public async Task StartHealthyAsync(int attempts = 3, int timeoutSeconds = 150)
    {
        for (var attempt = 1; ; attempt++)
        {
            StartAll();
            try
            {
                await WaitWritableAsync(TimeSpan.FromSeconds(timeoutSeconds));
                await WaitHealthyAsync(TimeSpan.FromSeconds(timeoutSeconds));
                return;
            }
            catch (TimeoutException e) when (attempt < attempts)
            {
                FormationFailures.Add($"{DateTime.UtcNow:O} load {Machine.LoadAverage()}: {e.Message.Split('\n')[0]}");
                Log.Line($"cluster {Path.GetFileName(Dir)} did not form (attempt {attempt}): {FormationFailures[^1]}; starting over");
                await ResetAsync();
            }
        }
    }

    /// <summary>Stops every node and PostgreSQL and wipes the data (node logs are kept, renamed).</summary>
    public async Task ResetAsync()
    {
        await Task.WhenAll(Nodes.Select(n => n.StopAsync(TimeSpan.FromSeconds(30))));
        foreach (var n in Nodes)
        {
            n.KillLeftoverPostmaster();
            if (File.Exists(n.LogFile)) File.Move(n.LogFile, n.LogFile + $".{DateTime.UtcNow:HHmmss}", overwrite: true);
            if (Directory.Exists(n.DataDir)) Directory.Delete(n.DataDir, recursive: true);
        }
        foreach (var f in Directory.EnumerateFiles(Dir, "state.db*")) File.Delete(f);
    }

    public void StartAll() { foreach (var n in Nodes) Start(n); }

    public void Start(NodeProcess n, params string[] extra) => n.Start(_s, Seeds, StateStore, extra);

    public NodeProcess Node(string id) => Nodes.Single(n => n.Name == id);

    /// <summary>The multi-host connection string clients use (DESIGN §7): it finds the writable node itself.</summary>
    public string MultiHostConnectionString(int timeoutSeconds = 1) => new NpgsqlConnectionStringBuilder
    {
        Host = string.Join(",", Nodes.Select(n => $"127.0.0.1:{n.PgPort}")),
        Username = "postgres", Password = BenchSettings.Password, Database = "postgres",
        TargetSessionAttributes = "read-write", Timeout = timeoutSeconds, CommandTimeout = 120,
        // Npgsql caches a host's role for 10 s by default; libpq (the Patroni writer) checks afresh on every connect.
        HostRecheckSeconds = 0, Pooling = false, ApplicationName = "bench_writer",
    }.ConnectionString;

    public static string ConnectionString(int port, int timeoutSeconds = 5) => new NpgsqlConnectionStringBuilder
    {
        Host = "127.0.0.1", Port = port, Username = "postgres", Password = BenchSettings.Password, Database = "postgres",
        Timeout = timeoutSeconds, CommandTimeout = 300, Pooling = false, ApplicationName = "bench_driver",
    }.ConnectionString;

    /// <summary>The state as the first live node that answers holds it.</summary>
    public async Task<ClusterStateView?> StateAsync()
    {
        foreach (var n in Nodes.Where(n => n.Running))
            if (await NodeApi.StateAsync(n) is { } st) return st;
        return null;
    }

    /// <summary>The running node that most recently took over the coordinator singleton, from the node logs.</summary>
    public NodeProcess? CoordinatorHost() => Nodes.Where(n => n.Running)
        .Select(n => (Node: n, Since: n.CoordinatorSince())).Where(x => x.Since is not null)
        .OrderBy(x => x.Since, StringComparer.Ordinal).Select(x => x.Node).LastOrDefault();

    /// <summary>The node whose /primary answers 200.</summary>
    public async Task<NodeProcess?> PrimaryAsync()
    {
        foreach (var n in Nodes.Where(n => n.Running))
            if (await NodeApi.IsPrimaryAsync(n)) return n;
        return null;
    }

    /// <summary>
    /// Healthy: a primary, a sync and every other node an async, nobody deposed, every node playing the role the
    /// state gives it, the primary writable and every standby streaming.
    /// </summary>
    public async Task<(bool Ok, string Why)> HealthAsync()
    {
        if (Nodes.Any(n => !n.Running)) return (false, "a node is not running");
        var st = await StateAsync();
        if (st is null) return (false, "no state");
        if (st.Primary is null || st.Sync is null) return (false, "no primary or sync");
        if (st.Deposed.Count > 0) return (false, $"deposed: {string.Join(",", st.Deposed.Select(d => d.Id))}");
        if (st.Async.Count != Nodes.Count - 2) return (false, $"{st.Async.Count} asyncs");
        foreach (var n in Nodes)
        {
            var s = await NodeApi.StatusAsync(n);
            if (s is null) return (false, $"{n.Name}: no status");
            if (s.Role != s.AssignedRole) return (false, $"{n.Name}: {s.Role}, assigned {s.AssignedRole}");
            if (s.Role == "primary" && !s.ReadWrite) return (false, $"{n.Name}: primary not read-write");
            if (s.Role is "sync" or "async" && !s.Streaming) return (false, $"{n.Name}: {s.Role} not streaming");
        }
        return (true, "");
    }

    /// <summary>Nodes that stopped themselves to be started again and were restarted, as a service manager would (a finding, so kept).</summary>
    public List<string> ServiceRestarts { get; } = [];

    /// <summary>
    /// Starts again every node that exited with a code that asks for it (3: downed; 75: a self-restart watch), as
    /// systemd's <c>Restart=on-failure</c> does in a deployment. Nodes the bench killed or stopped are left to it.
    /// </summary>
    private void RestartSelfStopped()
    {
        foreach (var n in Nodes)
        {
            if (n.Process is not { HasExited: true } p || p.ExitCode is not (3 or 75)) continue;
            ServiceRestarts.Add($"{DateTime.UtcNow:O} {n.Name} exited with {p.ExitCode}");
            Log.Line($"{n.Name} exited with code {p.ExitCode} (asks for a restart); starting it again as its service manager would");
            n.KillLeftoverPostmaster();
            Start(n);
        }
    }

    public async Task WaitHealthyAsync(TimeSpan timeout)
    {
        var deadline = Clock.Now + timeout.TotalSeconds;
        var why = "";
        while (Clock.Now < deadline)
        {
            RestartSelfStopped();
            (var ok, why) = await HealthAsync();
            if (ok) return;
            await Task.Delay(200);
        }
        throw new TimeoutException($"cluster not healthy after {timeout.TotalSeconds:0} s: {why}\n{Tails()}");
    }

    /// <summary>Waits until a write commits through the multi-host string; returns the clock time of the commit.</summary>
    public async Task<double> WaitWritableAsync(TimeSpan timeout)
    {
        var deadline = Clock.Now + timeout.TotalSeconds;
        while (Clock.Now < deadline)
        {
            try
            {
                await using var c = new NpgsqlConnection(MultiHostConnectionString());
                await c.OpenAsync();
                await using var cmd = new NpgsqlCommand("CREATE TABLE IF NOT EXISTS bench_boot(id serial PRIMARY KEY); INSERT INTO bench_boot DEFAULT VALUES", c);
                await cmd.ExecuteNonQueryAsync();
                return Clock.Now;
            }
            catch (Exception e) when (e is NpgsqlException or InvalidOperationException or TimeoutException) { }
            await Task.Delay(100);
        }
        throw new TimeoutException($"no write committed within {timeout.TotalSeconds:0} s\n{Tails()}");
    }

    public static async Task<long> ExecScalarAsync(int port, string sql)
    {
        await using var c = new NpgsqlConnection(ConnectionString(port));
        await c.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, c);
        return Convert.ToInt64(await cmd.ExecuteScalarAsync());
    }

    /// <summary>The last lines of every node's log, for error messages.</summary>
    public string Tails() => string.Concat(Nodes.Select(n =>
        $"\n--- {n.Name} (running: {n.Running}) ---\n{string.Join("\n", n.LogText().Split('\n').TakeLast(12))}"));

    public async ValueTask DisposeAsync()
    {
        try
        {
            var any = Nodes.FirstOrDefault(n => n.Running);
            if (any is not null) await NodeApi.PostAsync(any, "/freeze", new { reason = "bench teardown" });
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException) { }
        await Task.WhenAll(Nodes.Select(n => n.StopAsync(TimeSpan.FromSeconds(60))));
        foreach (var n in Nodes) n.KillLeftoverPostmaster();
        Log.Line($"cluster {Path.GetFileName(Dir)} stopped");
    }
}
