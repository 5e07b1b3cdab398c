using System.Globalization;
using Appliance.Chaos;

// The long run (docs/CHAOS.md): hundreds of random faults against one cluster, checked every few faults and at
// the end, with a report. Not part of CI.
//   dotnet run -c Release --project bench/chaos -- --faults 300 [--minutes 600] [--nodes 3] [--seed N] [--check-every 20] [--report FILE]

var options = LongRunOptions.Parse(args);
var seed = options.Seed ?? ChaosRun.SeedFromEnvironment();
void Echo(string line) { Console.WriteLine(line); Console.Out.Flush(); }

await using var run = await ChaosRun.StartAsync(options.Nodes, seed, Echo);
var schedule = Schedules.Random(run.Random, options.Faults);
var violations = new List<string>();
var slow = new List<string>();
CheckResult? last = null;
var stopped = "";
var budget = TimeSpan.FromMinutes(options.Minutes);
for (var i = 0; i < schedule.Count; i++)
{
    if (run.History.Now > budget)
    {
        Echo($"--- time budget of {options.Minutes} min used up after {i} faults");
        break;
    }
    Echo($"--- fault {i + 1}/{schedule.Count}: {schedule[i]}");
    try
    {
        await run.InjectAsync(schedule[i]);
    }
    catch (ChaosCheckException e)
    {
        run.Cluster.KeepDirectory = true;
        // One more chance: a cluster that heals late is a finding (listed as slow), not yet a violation.
        try
        {
            var late = await run.Cluster.WaitHealthyAsync(TimeSpan.FromSeconds(300));
            slow.Add($"fault {i + 1} {schedule[i]}: healed {late.TotalSeconds:0} s after the heal timeout: {e.Message.Split('\n')[0]}");
            Echo($"SLOW HEAL: {e.Message}");
        }
        catch (ChaosCheckException)
        {
            violations.Add($"fault {i + 1} {schedule[i]}: {e.Message.Split('\n')[0]}");
            Echo($"VIOLATION: {e.Message}");
            stopped = $"stopped after fault {i + 1}: the cluster did not heal within the heal timeout + 300 s";
            break;
        }
    }
    if ((i + 1) % options.CheckEvery == 0)
    {
        last = await run.CheckAsync();
        if (!last.Ok) violations.Add($"after fault {i + 1}: {last}");
    }
    File.WriteAllText(options.Report, run.Report(last) + Summary());
}
if (stopped.Length == 0)
{
    last = await run.FinishAsync();
    if (!last.Ok) violations.Add($"final: {last}");
}
File.WriteAllText(options.Report, run.Report(last) + Summary());
Echo(run.Report(last) + Summary());
return violations.Count == 0 && stopped.Length == 0 ? 0 : 1;

string Summary() =>
    $"slow heals: {slow.Count}\n" + string.Concat(slow.Select(v => $"  {v}\n")) +
    $"violations: {violations.Count}\n" + string.Concat(violations.Select(v => $"  {v}\n")) + (stopped.Length > 0 ? stopped + "\n" : "");

/// <summary>The long run's command line.</summary>
internal sealed record LongRunOptions(int Faults, int Nodes, int? Seed, int CheckEvery, string Report, double Minutes)
{
    public static LongRunOptions Parse(string[] args)
    {
        string? Get(string name)
        {
            var i = Array.IndexOf(args, name);
            return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
        }
        return new LongRunOptions(
            int.Parse(Get("--faults") ?? "300", CultureInfo.InvariantCulture), int.Parse(Get("--nodes") ?? "3", CultureInfo.InvariantCulture),
            Get("--seed") is { } s ? int.Parse(s, CultureInfo.InvariantCulture) : null, int.Parse(Get("--check-every") ?? "20", CultureInfo.InvariantCulture),
            Get("--report") ?? Path.Combine(Path.GetTempPath(), "chaos-long-run-report.txt"),
            double.Parse(Get("--minutes") ?? "600", System.Globalization.CultureInfo.InvariantCulture));
    }
}
