using System.Globalization;
using System.Text;

namespace Appliance.Chaos;

/// <summary>
/// One run: a cluster, the poller, the clients, a sequence of faults, and the checks at the end. Everything random
/// (subnet, restart order, random schedules) comes from one seed, printed first so a run can be replayed.
/// </summary>
public sealed class ChaosRun : IAsyncDisposable
{
    private readonly List<FaultResult> _faults = [];
    private PrimaryPoller? _poller;
    private Workload? _workload;

    private ChaosRun(int seed, History history)
    {
        Seed = seed;
        History = history;
        Random = new Random(seed);
    }

    /// <summary>The seed of everything random in this run.</summary>
    public int Seed { get; }

    /// <summary>Drawn from <see cref="Seed"/>.</summary>
    public Random Random { get; }

    /// <summary>The timeline.</summary>
    public History History { get; }

    /// <summary>The cluster (after <see cref="StartAsync"/>).</summary>
    public ChaosCluster Cluster { get; private set; } = null!;

    /// <summary>Faults run so far.</summary>
    public IReadOnlyList<FaultResult> Faults => _faults;

    /// <summary>The nemesis runner.</summary>
    public NemesisRunner Nemeses { get; private set; } = null!;

    /// <summary>How long the fresh cluster took to become healthy.</summary>
    public TimeSpan Bootstrap { get; private set; }

    /// <summary>A seed from <c>CHAOS_SEED</c> if set (replay), else a fresh one.</summary>
    public static int SeedFromEnvironment() =>
        int.TryParse(Environment.GetEnvironmentVariable("CHAOS_SEED"), out var s) ? s : System.Random.Shared.Next();

    /// <summary>Starts an <paramref name="nodes"/>-node cluster, waits until it is healthy, then starts poller and clients.</summary>
    public static async Task<ChaosRun> StartAsync(int nodes, int seed, Action<string>? echo = null)
    {
        var run = new ChaosRun(seed, new History { Echo = echo });
        run.History.Log($"seed {seed} (replay: CHAOS_SEED={seed})");
        try
        {
            run.Cluster = ChaosCluster.Start(nodes, run.History, run.Random);
            // Generous: on a saturated shared 2-core machine three hosts have taken over two minutes just to join.
            run.Bootstrap = await run.Cluster.WaitHealthyAsync(TimeSpan.FromSeconds(300));
            run.History.Log($"cluster healthy after {run.Bootstrap.TotalSeconds:0.0} s: {(await run.Cluster.HealthAsync()).Why}");
            run._poller = new PrimaryPoller(run.Cluster);
            run._poller.Start();
            run.Nemeses = new NemesisRunner(run.Cluster, run._poller, run.Random);
            var primary = await run.Cluster.NodeInRoleAsync("primary") ?? throw new ChaosCheckException("no primary after bootstrap");
            run._workload = new Workload(run.Cluster, run._poller);
            await run._workload.StartAsync(primary);
        }
        catch
        {
            await run.DisposeAsync();
            throw;
        }
        return run;
    }

    /// <summary>Runs one fault to its end and waits for the cluster to heal; lets the clients write a moment first.</summary>
    public async Task<FaultResult> InjectAsync(Fault fault)
    {
        await WaitForAcknowledgedWritesAsync();
        var result = await Nemeses.RunAsync(fault);
        _faults.Add(result);
        return result;
    }

    // A fault is only interesting when writes are in flight: wait until the clients have had a few acknowledged.
    private async Task WaitForAcknowledgedWritesAsync()
    {
        var before = _workload!.Writes.Count(w => w.Outcome == Outcome.Acknowledged);
        var deadline = History.Now + TimeSpan.FromSeconds(30);
        while (History.Now < deadline && _workload.Writes.Count(w => w.Outcome == Outcome.Acknowledged) < before + 5)
            await Task.Delay(100);
    }

    /// <summary>With the cluster healthy: every check over everything written so far. The clients keep writing.</summary>
    public async Task<CheckResult> CheckAsync()
    {
        var deadline = History.Now + Nemeses.HealTimeout;
        while (true)
        {
            await Cluster.WaitHealthyAsync(Nemeses.HealTimeout);
            var primary = await Cluster.NodeInRoleAsync("primary") ?? throw new ChaosCheckException("no primary in the healed state");
            try
            {
                var result = await Checker.CheckAsync(primary, _workload!.Writes, _poller!.Samples.Concat(_workload.Samples));
                History.Log($"check: {result}");
                return result;
            }
            catch (Npgsql.NpgsqlException e) when (History.Now < deadline)
            {
                // A healthy view is a moment ago: the primary's PostgreSQL may have gone down since (a fault's restart
                // still under way). The check reads the primary, so it waits for it, within the heal timeout.
                History.Log($"check: the primary {primary.Name} did not answer ({e.Message}); waiting for the cluster again");
                await Task.Delay(500);
            }
        }
    }

    /// <summary>Stops the clients and the poller, then checks everything.</summary>
    public async Task<CheckResult> FinishAsync()
    {
        await _workload!.DisposeAsync();
        var writes = _workload.Writes;
        await Cluster.WaitHealthyAsync(Nemeses.HealTimeout);
        var primary = await Cluster.NodeInRoleAsync("primary") ?? throw new ChaosCheckException("no primary in the healed state");
        var samples = _poller!.Samples.Concat(_workload.Samples).ToList();
        var result = await Checker.CheckAsync(primary, writes, samples);
        History.Log($"final check: {result}");
        File.WriteAllText(Path.Combine(Cluster.Dir, "report.txt"), Report(result));
        if (!result.Ok) Cluster.KeepDirectory = true;
        return result;
    }

    /// <summary>The report: seed, faults with their heal times, counts, violations.</summary>
    public string Report(CheckResult? check)
    {
        var sb = new StringBuilder();
        sb.AppendLine(CultureInfo.InvariantCulture, $"chaos run, seed {Seed} (replay: CHAOS_SEED={Seed}), {Cluster.Nodes.Count} nodes, {History.Now.TotalMinutes:0.0} min, bootstrap {Bootstrap.TotalSeconds:0.0} s");
        sb.AppendLine(CultureInfo.InvariantCulture, $"faults: {_faults.Count}");
        sb.AppendLine("nemesis                          count  heal median  heal p95  heal max");
        foreach (var g in _faults.GroupBy(f => f.Fault.Nemesis).OrderBy(g => g.Key.ToString()))
        {
            var heals = g.Select(f => f.HealTime.TotalSeconds).Order().ToList();
            sb.AppendLine(CultureInfo.InvariantCulture, $"{g.Key,-32} {heals.Count,5}  {Percentile(heals, 0.5),9:0.0} s  {Percentile(heals, 0.95),6:0.0} s  {heals[^1],6:0.0} s");
        }
        if (check is not null) sb.AppendLine(check.ToString());
        foreach (var f in _faults.Where(f => f.Note.Length > 0).Take(10)) sb.AppendLine(CultureInfo.InvariantCulture, $"  {f.Fault.Nemesis} at {f.At.TotalSeconds:0} s: {f.Note}");
        return sb.ToString();
    }

    private static double Percentile(IReadOnlyList<double> sorted, double p) =>
        sorted.Count == 0 ? 0 : sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p * sorted.Count) - 1)];

    /// <summary>Stops clients and poller, kills every process, removes the lab.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_workload is not null) await _workload.DisposeAsync();
        if (_poller is not null) await _poller.DisposeAsync();
        if (Cluster is not null)
        {
            History.Log($"run directory {Cluster.Dir} {(Cluster.KeepDirectory ? "kept" : "removed")}");
            await Cluster.DisposeAsync();
        }
    }
}
