using System.Globalization;

namespace Appliance.Bench;

/// <summary>
/// <c>appliance-bench VERB [options]</c>: the benchmarks of DESIGN §8, against real <c>appliance node</c> processes.
/// Verbs: <c>failover</c>, <c>throughput</c>, <c>lifecycle</c>, <c>machine</c>. See bench/README.md.
/// </summary>
internal static class Program
{
    private const string Usage = """
        usage: appliance-bench VERB [--appliance PATH/appliance.dll] [--work /tmp/appliance-bench] [--base-port 26000]
                                    [--pg-bin /usr/lib/postgresql/15/bin] [--results bench/results/appliance] [--seed 1]
          failover   --faults primary-crash,sync-crash,switchover,sigterm --trials 20 [--avoid-coordinator | --settle 60]
                     [--restart-after 0]
                     (--avoid-coordinator: the bench switches over first; --settle S: waits up to S s for the
                      cluster's own relief to move primary and sync off the coordinator's host before each fault;
                      --restart-after S: a killed or stopped node is started again no sooner than S s after the
                      fault, as systemd's RestartSec would; 0 starts it once writes resume)
          throughput --scale 10 --clients 1,4,16 --seconds 30 --rounds 1 [--no-async-baseline]
          lifecycle  --bootstraps 5 --idle-seconds 60 --scale 20 --rejoins 3
          machine    (prints the machine description)
        """;

    public static async Task<int> Main(string[] argv)
    {
        if (argv.Length == 0 || argv.Any(a => a is "-h" or "--help")) { Console.WriteLine(Usage); return argv.Length == 0 ? 2 : 0; }
        var verb = argv[0];
        // Checked before anything runs: a bench started by mistake overwrites the results under --results.
        if (verb is not ("failover" or "throughput" or "lifecycle" or "machine"))
        {
            Console.Error.WriteLine($"unknown verb '{verb}'\n{Usage}");
            return 2;
        }
        Dictionary<string, string> o;
        try { o = Options(argv.Skip(1)); }
        catch (ArgumentException e) { Console.Error.WriteLine($"{e.Message}\n{Usage}"); return 2; }
        string Get(string key, string dflt) => o.TryGetValue(key, out var v) ? v : dflt;
        int Int(string key, int dflt) => int.Parse(Get(key, dflt.ToString(CultureInfo.InvariantCulture)), CultureInfo.InvariantCulture);

        var s = new BenchSettings(
            Path.GetFullPath(Get("appliance", "/tmp/appliance-bench-bin/appliance.dll")),
            Get("work", "/tmp/appliance-bench"), Int("base-port", 26000), Get("pg-bin", "/usr/lib/postgresql/15/bin"),
            Get("results", "bench/results/appliance"));
        if (verb != "machine" && !File.Exists(s.ApplianceDll))
        {
            Console.Error.WriteLine($"{s.ApplianceDll} not found: dotnet publish src/Host -c Release -o {Path.GetDirectoryName(s.ApplianceDll)}");
            return 2;
        }
        Directory.CreateDirectory(s.WorkDir);
        File.SetUnixFileMode(s.WorkDir, (UnixFileMode)0b111_101_101);   // postgres must traverse it
        var results = new Results(s.ResultsDir);
        var machine = await Machine.DescribeAsync(s.PgBin);
        await results.WriteAsync($"machine-{verb}", new { machine, argv });
        Log.Line(string.Join(", ", machine.Select(kv => $"{kv.Key}={kv.Value}")));

        switch (verb)
        {
            case "machine":
                return 0;
            case "failover":
                var bench = new FailoverBench(s, results, Int("seed", 1), o.ContainsKey("avoid-coordinator"), Int("settle", 0),
                    Int("restart-after", 0));
                foreach (var f in Get("faults", "primary-crash,sync-crash,switchover,sigterm").Split(','))
                {
                    try { await bench.RunAsync(ParseFault(f), Int("trials", 20)); }
                    catch (Exception e) when (e is TimeoutException or InvalidOperationException)
                    {
                        // One fault's cluster failing for good must not cost the other faults' figures.
                        Log.Line($"failover {f} aborted: {e.Message}");
                    }
                }
                return 0;
            case "throughput":
                await new ThroughputBench(s, results).RunAsync(Int("scale", 10),
                    [.. Get("clients", "1,4,16").Split(',').Select(c => int.Parse(c, CultureInfo.InvariantCulture))],
                    Int("seconds", 30), Int("rounds", 1), !o.ContainsKey("no-async-baseline"));
                return 0;
            case "lifecycle":
                await new LifecycleBench(s, results).RunAsync(Int("bootstraps", 5), Int("idle-seconds", 60), Int("scale", 20), Int("rejoins", 3));
                return 0;
            default:
                Console.Error.WriteLine(Usage);
                return 2;
        }
    }

    private static Fault ParseFault(string f) => f switch
    {
        "primary-crash" => Fault.PrimaryCrash,
        "sync-crash" => Fault.SyncCrash,
        "switchover" => Fault.Switchover,
        "sigterm" => Fault.SigtermPrimary,
        _ => throw new ArgumentException($"unknown fault '{f}': primary-crash, sync-crash, switchover or sigterm"),
    };

    // Every option the usage names, and no other: the usage stays the list of what is accepted.
    private static readonly HashSet<string> Known =
        [.. System.Text.RegularExpressions.Regex.Matches(Usage, "--([a-z][a-z-]*)").Select(m => m.Groups[1].Value)];

    /// <summary><c>--key value</c> pairs; a flag without a value maps to "true"; an option not in the usage is refused.</summary>
    private static Dictionary<string, string> Options(IEnumerable<string> args)
    {
        var d = new Dictionary<string, string>();
        string? key = null;
        foreach (var a in args)
        {
            if (a.StartsWith("--")) { if (key is not null) d[key] = "true"; key = a[2..]; }
            else if (key is not null) { d[key] = a; key = null; }
            else throw new ArgumentException($"unexpected argument '{a}'");
        }
        if (key is not null) d[key] = "true";
        // A misspelt option would otherwise run the bench with the default in its place.
        foreach (var unknown in d.Keys.Where(k => !Known.Contains(k)))
            throw new ArgumentException($"unknown option '--{unknown}'");
        return d;
    }
}
