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
        await using var manual = new ManualCluster(s, withAsync);
        cluster.StartAll();
        await cluster.WaitWritableAsync(TimeSpan.FromSeconds(180));
        await cluster.WaitHealthyAsync(TimeSpan.FromSeconds(180));
        await manual.StartAsync();
        var appliancePort = (await cluster.PrimaryAsync())!.PgPort;
        var targets = new[] { ("appliance", appliancePort), (withAsync ? "manual-sync+async" : "manual-sync", manual.PrimaryPort) };
        foreach (var (name, port) in targets)
        {
            Log.Line($"pgbench -i -s {scale} on {name}");
            await Os.RunCheckedAsync("pgbench", ["-i", "-q", "-s", $"{scale}", "-h", "127.0.0.1", "-p", $"{port}", "-U", "postgres", "postgres"], BenchSettings.PgEnv);
        }
        await cluster.WaitHealthyAsync(TimeSpan.FromSeconds(180));

        var runs = new List<PgbenchRun>();
        for (var round = 1; round <= rounds; round++)
            foreach (var c in clients)
            {
                // Alternate which system goes first, so neither always runs right after the other's checkpoint.
                var order = (round + Array.IndexOf(clients, c)) % 2 == 0 ? targets : [.. Enumerable.Reverse(targets)];
                foreach (var (name, port) in order)
                {
                    await cluster.ExecScalarAsync(port, "CHECKPOINT; SELECT 1");
                    var load = Machine.LoadAverage();
                    var output = await Os.RunCheckedAsync("pgbench", ["-h", "127.0.0.1", "-p", $"{port}", "-U", "postgres", "-c", $"{c}",
                        "-j", $"{Math.Min(c, 2)}", "-T", $"{seconds}", "postgres"], BenchSettings.PgEnv, TimeSpan.FromSeconds(seconds + 120));
                    var run = new PgbenchRun(name, c, round, Number(TpsRegex(), output), Number(LatencyRegex(), output),
                        (long)Number(TxRegex(), output), load);
                    runs.Add(run);
                    Log.Line($"pgbench {name} -c {c}: {run.Tps:0.0} tps, {run.LatencyMs:0.00} ms (load {load})");
                }
            }

        var ratios = clients.Select(c => new
        {
            clients = c,
            appliance_tps = runs.Where(r => r.Target == "appliance" && r.Clients == c).Average(r => r.Tps),
            baseline_tps = runs.Where(r => r.Target != "appliance" && r.Clients == c).Average(r => r.Tps),
        }).Select(x => new { x.clients, x.appliance_tps, x.baseline_tps, ratio = x.appliance_tps / x.baseline_tps }).ToList();
        await results.WriteAsync($"throughput-{targets[1].Item1}", new { scale, seconds, rounds, runs, ratios });
        foreach (var r in ratios)
            await results.AppendSummaryAsync(string.Create(CultureInfo.InvariantCulture,
                $"pgbench -c {r.clients} vs {targets[1].Item1}: appliance {r.appliance_tps:0.0} tps, baseline {r.baseline_tps:0.0} tps, ratio {r.ratio:0.000}"));
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
