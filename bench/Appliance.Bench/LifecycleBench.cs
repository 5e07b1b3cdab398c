using System.Globalization;

namespace Appliance.Bench;

/// <summary>One bootstrap: seconds from starting three empty nodes until a write commits, and until all three stream.</summary>
internal sealed record BootRun(int Run, double WritableSeconds, double AllStreamingSeconds, string LoadAvg);

/// <summary>One pg_basebackup.</summary>
internal sealed record BaseBackupRun(int Run, long Bytes, double Seconds, double MbPerSecond, string LoadAvg);

/// <summary>One rejoin: <c>Seconds</c> from restart (rewind) or from the rebuild command (clone) until the cluster is healthy.</summary>
internal sealed record RejoinRun(string Method, int Run, string Node, string Observed, double Seconds, double RestartToStreamingSeconds,
    double DatabaseMbPerSecond, string LoadAvg);

/// <summary>
/// Bootstrap (empty → writable), the host process's idle memory and CPU, clone speed (pg_basebackup), and the rejoin
/// of a deposed primary by rewind versus by clone, on a database of some hundreds of MB.
/// </summary>
internal sealed class LifecycleBench(BenchSettings s, Results results)
{
    public async Task RunAsync(int bootstraps, int idleSeconds, int scale, int rejoins)
    {
        var boot = new List<BootRun>();
        var failures = new List<string>();
        for (var i = 1; i <= bootstraps; i++)
        {
            await using var c = new ApplianceCluster(s, "bootstrap");
            var load = Machine.LoadAverage();
            var t0 = Clock.Now;
            c.StartAll();
            double writable, healthy;
            try
            {
                writable = await c.WaitWritableAsync(TimeSpan.FromSeconds(180)) - t0;
                await c.WaitHealthyAsync(TimeSpan.FromSeconds(180));
                healthy = Clock.Now - t0;
            }
            catch (TimeoutException e)
            {
                // Recorded, not fatal: on an overloaded shared box a start-up can fail (see BENCHMARKS.md).
                failures.Add($"bootstrap {i} (load {load}): {e.Message.Split('\n')[0]}");
                Log.Line(failures[^1]);
                continue;
            }
            boot.Add(new BootRun(i, Math.Round(writable, 2), Math.Round(healthy, 2), load));
            Log.Line($"bootstrap {i}: writable after {writable:0.00} s, all three streaming after {healthy:0.00} s (load {load})");
        }
        await results.WriteAsync("bootstrap", new { runs = boot, failures });
        await results.AppendSummaryAsync($"bootstrap empty->writable ({failures.Count} failed): {Stats.Of([.. boot.Select(b => b.WritableSeconds)])}; all streaming: {Stats.Of([.. boot.Select(b => b.AllStreamingSeconds)])}");

        await using var cluster = new ApplianceCluster(s, "lifecycle");
        await cluster.StartHealthyAsync();
        await IdleAsync(cluster, idleSeconds);

        var primary = (await cluster.PrimaryAsync())!;
        Log.Line($"pgbench -i -s {scale} (the database the clones copy)");
        await Os.RunCheckedAsync("pgbench", ["-i", "-q", "-s", $"{scale}", "-h", "127.0.0.1", "-p", $"{primary.PgPort}", "-U", "postgres", "postgres"],
            BenchSettings.PgEnv, TimeSpan.FromMinutes(20));
        await cluster.WaitHealthyAsync(TimeSpan.FromSeconds(300));
        var dbBytes = await ApplianceCluster.ExecScalarAsync(primary.PgPort, "SELECT sum(pg_database_size(datname))::bigint FROM pg_database");
        await BaseBackupAsync(cluster, dbBytes, rejoins);
        await RejoinAsync(cluster, dbBytes, rejoins);
    }

    private async Task IdleAsync(ApplianceCluster cluster, int seconds)
    {
        await Task.Delay(TimeSpan.FromSeconds(15));   // let start-up (JIT, first probes) settle
        var before = cluster.Nodes.ToDictionary(n => n.Name, n => Os.CpuTicks(n.Process!.Id));
        var load = Machine.LoadAverage();
        await Task.Delay(TimeSpan.FromSeconds(seconds));
        var rows = new List<object>();
        foreach (var n in cluster.Nodes)
        {
            var ticks = Os.CpuTicks(n.Process!.Id) - before[n.Name];
            var (rss, hwm) = Os.Memory(n.Process!.Id);
            var role = (await NodeApi.StatusAsync(n))?.Role ?? "?";
            var cpuPercent = ticks / 100.0 / seconds * 100;
            rows.Add(new { node = n.Name, role, rss_mib = Math.Round(rss / 1024.0, 1), peak_rss_mib = Math.Round(hwm / 1024.0, 1), cpu_percent_of_one_core = Math.Round(cpuPercent, 2) });
            await results.AppendSummaryAsync(string.Create(CultureInfo.InvariantCulture,
                $"idle host {n.Name} ({role}): RSS {rss / 1024.0:0.0} MiB (peak {hwm / 1024.0:0.0}), CPU {cpuPercent:0.00}% of one core over {seconds} s (load {load})"));
        }
        await results.WriteAsync("idle", new { seconds, loadavg = load, nodes = rows });
    }

    /// <summary>Raw clone speed: pg_basebackup from the appliance's primary into a scratch directory, as the driver's clone does
    /// (as the <c>replicator</c> role, whose password the nodes derive from the superuser's).</summary>
    private async Task BaseBackupAsync(ApplianceCluster cluster, long dbBytes, int runs)
    {
        var primary = (await cluster.PrimaryAsync())!;
        var rows = new List<BaseBackupRun>();
        for (var i = 1; i <= runs; i++)
        {
            var parent = Path.Combine(cluster.Dir, "basebackup");
            Directory.CreateDirectory(parent);
            await Os.RunCheckedAsync("chown", ["postgres:postgres", parent]);   // pg_basebackup runs as postgres
            var target = Path.Combine(parent, "data");
            if (Directory.Exists(target)) Directory.Delete(target, recursive: true);
            var load = Machine.LoadAverage();
            var t0 = Clock.Now;
            await Os.RunAsPostgresAsync(Path.Combine(s.PgBin, "pg_basebackup"), ["-h", "127.0.0.1", "-p", $"{primary.PgPort}", "-U", "replicator",
                "-D", target, "-X", "stream", "-c", "fast"], BenchSettings.ReplicationPgEnv, TimeSpan.FromMinutes(20));
            var secs = Clock.Now - t0;
            var bytes = Os.DirectoryBytes(target);
            Directory.Delete(target, recursive: true);
            var mbs = bytes / 1e6 / secs;
            rows.Add(new BaseBackupRun(i, bytes, Math.Round(secs, 2), Math.Round(mbs, 1), load));
            Log.Line($"pg_basebackup {i}: {bytes / 1e6:0} MB in {secs:0.00} s = {mbs:0.0} MB/s (load {load})");
        }
        await results.WriteAsync("clone-basebackup", new { database_bytes = dbBytes, runs = rows });
        await results.AppendSummaryAsync($"pg_basebackup of a {dbBytes / 1e6:0} MB database, MB/s: {Stats.Of([.. rows.Select(r => r.MbPerSecond)])}".Replace(" s", ""));
    }

    /// <summary>
    /// Host-crashes the primary, waits for the new primary, then brings the deposed node back: by rewind (the default
    /// <c>rejoin = auto</c>, restart → streaming), or by clone (its data directory wiped, as after a lost disk,
    /// restarted with <c>--rejoin manual</c>, then <c>POST /rebuild/ID</c> → streaming).
    /// </summary>
    private async Task RejoinAsync(ApplianceCluster cluster, long dbBytes, int runs)
    {
        var rows = new List<RejoinRun>();
        foreach (var method in new[] { "rewind", "clone" })
            for (var i = 1; i <= runs; i++)
            {
                await cluster.WaitHealthyAsync(TimeSpan.FromSeconds(300));
                var victim = (await cluster.PrimaryAsync())!;
                var st = await NodeApi.StatusAsync(victim);
                await victim.CrashAsync(st?.PostmasterPid);
                // Some writes on the new primary, so that the deposed node really has something to catch up on.
                await cluster.WaitWritableAsync(TimeSpan.FromSeconds(180));
                var load = Machine.LoadAverage();
                double t0, secs, total;
                string observed;
                if (method == "rewind")
                {
                    var logBefore = victim.LogText().Length;
                    t0 = Clock.Now;
                    cluster.Start(victim);
                    await cluster.WaitHealthyAsync(TimeSpan.FromSeconds(600));
                    secs = total = Clock.Now - t0;
                    var log = victim.LogText()[logBefore..];
                    observed = log.Contains("(Cloned)") ? "cloned" : log.Contains("(Rewound)") ? "rewound" : "unknown";
                }
                else
                {
                    Directory.Delete(victim.PgData, recursive: true);
                    var tStart = Clock.Now;
                    cluster.Start(victim, "--rejoin", "manual");
                    while ((await NodeApi.StatusAsync(victim))?.AssignedRole != "deposed")
                    {
                        if (Clock.Now - tStart > 120) throw new TimeoutException($"{victim.Name} did not come up deposed\n{cluster.Tails()}");
                        await Task.Delay(200);
                    }
                    t0 = Clock.Now;
                    var (code, body) = await NodeApi.PostAsync(victim, $"/rebuild/{victim.Name}", null);
                    if (code != 200) throw new InvalidOperationException($"rebuild refused: {code} {body}");
                    await cluster.WaitHealthyAsync(TimeSpan.FromSeconds(600));
                    secs = Clock.Now - t0;
                    total = Clock.Now - tStart;
                    observed = "cloned";
                    // Back to the default policy for the next trial.
                    await victim.StopAsync(TimeSpan.FromSeconds(90));
                    cluster.Start(victim);
                }
                rows.Add(new RejoinRun(method, i, victim.Name, observed, Math.Round(secs, 2), Math.Round(total, 2), Math.Round(dbBytes / 1e6 / secs, 1), load));
                Log.Line($"rejoin by {method} {i} ({observed}): {secs:0.00} s ({total:0.00} s from restart) for {dbBytes / 1e6:0} MB (load {load})");
            }
        await results.WriteAsync("rejoin", new { database_bytes = dbBytes, runs = rows });
        foreach (var m in new[] { "rewind", "clone" })
            await results.AppendSummaryAsync($"rejoin by {m} ({dbBytes / 1e6:0} MB database): {Stats.Of([.. rows.Where(r => r.Method == m).Select(r => r.Seconds)])}");
    }
}
