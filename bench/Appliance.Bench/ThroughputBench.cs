using System.Globalization;
using System.Text.RegularExpressions;

namespace Appliance.Bench;

/// <summary>One pgbench run.</summary>
internal sealed record PgbenchRun(string Target, int Clients, int Round, double Tps, double LatencyMs, long Transactions, string LoadAvg);

/// <summary>
/// pgbench TPC-B-like through the appliance's primary and through the hand-configured baseline on the same machine in
/// the same run, alternating per client count so that drift in the shared box's load hits both alike.
/// </summary>
internal sealed partial class ThroughputBench(BenchSettings s, Results results)
{
    public async Task RunAsync(int scale, int[] clients, int seconds, int rounds, bool withAsync)
    {
        await using var cluster = new ApplianceCluster(s, "throughput");
        await using var pair = new ManualCluster(s, withAsync: false);
        await using var chain = new ManualCluster(s, withAsync: true);
        await cluster.StartHealthyAsync();
        await pair.StartAsync();
        if (withAsync) await chain.StartAsync();
        var appliancePort = (await cluster.PrimaryAsync())!.PgPort;
        // The baseline DESIGN §8 names is the pair (primary + one sync standby); the chain adds the appliance's third
        // copy (an async cascading from the standby), which on a 2-core box costs CPU of its own.
        var targets = new List<(string, int)> { ("appliance", appliancePort), (pair.Name, pair.PrimaryPort) };
        if (withAsync) targets.Add((chain.Name, chain.PrimaryPort));
        foreach (var (name, port) in targets)
        {
            Log.Line($"pgbench -i -s {scale} on {name}");
            await Os.RunCheckedAsync("pgbench", ["-i", "-q", "-s", $"{scale}", "-h", "127.0.0.1", "-p", $"{port}", "-U", "postgres", "postgres"], BenchSettings.PgEnv);
        }
        await cluster.WaitHealthyAsync(TimeSpan.FromSeconds(180));

        var runs = new List<PgbenchRun>();
        var failures = new List<string>();
        for (var round = 1; round <= rounds; round++)
            foreach (var c in clients)
            {
                // Rotate which system goes first, so that none always runs right after another's load.
                var shift = (round - 1 + Array.IndexOf(clients, c)) % targets.Count;
                var order = targets.Skip(shift).Concat(targets.Take(shift));
                foreach (var (name, fixedPort) in order)
                {
                    for (var attempt = 1; ; attempt++)
                    {
                        // The appliance's primary may have moved (or fenced itself) since the last run: ask again.
                        var port = name == "appliance" ? (await cluster.PrimaryAsync())?.PgPort ?? fixedPort : fixedPort;
                        var load = Machine.LoadAverage();
                        try
                        {
                            await ApplianceCluster.ExecScalarAsync(port, "CHECKPOINT; SELECT 1");
                            var output = await Os.RunCheckedAsync("pgbench", ["-h", "127.0.0.1", "-p", $"{port}", "-U", "postgres", "-c", $"{c}",
                                "-j", $"{Math.Min(c, 2)}", "-T", $"{seconds}", "postgres"], BenchSettings.PgEnv, TimeSpan.FromSeconds(seconds + 120));
                            var run = new PgbenchRun(name, c, round, Number(TpsRegex(), output), Number(LatencyRegex(), output),
                                (long)Number(TxRegex(), output), load);
                            runs.Add(run);
                            Log.Line($"pgbench {name} -c {c}: {run.Tps:0.0} tps, {run.LatencyMs:0.00} ms (load {load})");
                            await results.WriteAsync("throughput-partial", new { scale, seconds, runs, failures });
                            break;
                        }
                        catch (Exception e) when (attempt < 3 && e is InvalidOperationException or Npgsql.NpgsqlException)
                        {
                            // Kept as a finding: on the overloaded box the appliance's primary can fence itself mid-run.
                            failures.Add($"{name} -c {c} round {round} (load {load}): {e.Message.Split('\n').FirstOrDefault(l => l.Contains("error", StringComparison.OrdinalIgnoreCase)) ?? e.Message}");
                            Log.Line($"pgbench {name} -c {c} failed, retrying: {failures[^1]}");
                            await cluster.WaitHealthyAsync(TimeSpan.FromSeconds(300));
                        }
                    }
                }
            }

        double Mean(string target, int c) => runs.Where(r => r.Target == target && r.Clients == c).Average(r => r.Tps);
        var ratios = (from c in clients
                      from t in targets.Skip(1)
                      select new { clients = c, baseline = t.Item1, appliance_tps = Mean("appliance", c), baseline_tps = Mean(t.Item1, c),
                                   ratio = Mean("appliance", c) / Mean(t.Item1, c) }).ToList();
        await results.WriteAsync("throughput", new { scale, seconds, rounds, runs, ratios, failures, cluster.FormationFailures });
        foreach (var r in ratios)
            await results.AppendSummaryAsync(string.Create(CultureInfo.InvariantCulture,
                $"pgbench -c {r.clients}: appliance {r.appliance_tps:0.0} tps, {r.baseline} {r.baseline_tps:0.0} tps, ratio {r.ratio:0.000}"));
    }

    private static double Number(Regex r, string text)
    {
        var m = r.Match(text);
        if (!m.Success) throw new InvalidOperationException($"pgbench output not understood:\n{text}");
        return double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
    }

    [GeneratedRegex(@"tps = ([0-9.]+) \(without initial connection time\)")]
    private static partial Regex TpsRegex();

    [GeneratedRegex(@"latency average = ([0-9.]+) ms")]
    private static partial Regex LatencyRegex();

    [GeneratedRegex(@"number of transactions actually processed: ([0-9]+)")]
    private static partial Regex TxRegex();
}
