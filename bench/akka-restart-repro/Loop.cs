using System.Diagnostics;
using System.Globalization;

namespace AkkaRestartRepro;

/// <summary>One node process as the loop sees it: its uid and its latest view of the membership.</summary>
internal sealed class Child
{
    internal required int Index;
    internal required Process Proc;
    internal long Uid;
    internal bool Exited;
    internal Dictionary<int, (long Uid, string Status)> Members = new();
    internal string Unreachable = "";
}

/// <summary>Three nodes; per trial SIGKILL node 2, restart it, time its rejoin and collect the symptoms.</summary>
internal static class Loop
{
    private static readonly object Gate = new();
    private static readonly Child?[] Children = new Child?[3];
    private static readonly StreamWriter?[] Logs = new StreamWriter?[3];
    private static readonly List<(int Node, string Line)> TrialLines = new();
    private static string _passive = "on";

    private static void Say(string s) { Console.Out.WriteLine(s); Console.Out.Flush(); }

    internal static int Run(string[] args)
    {
        var trials = int.Parse(Program.Arg(args, "--trials", "30")!);
        var delaySpec = Program.Arg(args, "--restart-delay", "jitter")!;
        _passive = Program.Arg(args, "--passive", "on")!;
        var settle = TimeSpan.FromSeconds(double.Parse(Program.Arg(args, "--settle", "10")!, CultureInfo.InvariantCulture));
        var seed = int.Parse(Program.Arg(args, "--seed", Environment.TickCount.ToString(CultureInfo.InvariantCulture))!);
        var dir = Program.Arg(args, "--logs", $"/tmp/akka-restart-repro/{DateTime.UtcNow:yyyyMMdd-HHmmss}-passive-{_passive}")!;
        Directory.CreateDirectory(dir);
        var (lo, hi) = delaySpec switch
        {
            "jitter" => (0, 6000),
            _ when delaySpec.Contains('-') => (int.Parse(delaySpec.Split('-')[0]), int.Parse(delaySpec.Split('-')[1])),
            _ => (int.Parse(delaySpec), int.Parse(delaySpec)),
        };
        var random = new Random(seed);
        AppDomain.CurrentDomain.ProcessExit += (_, _) => KillAll();
        Console.CancelKeyPress += (_, _) => KillAll();
        for (var i = 0; i < 3; i++) Logs[i] = new StreamWriter(Path.Combine(dir, $"n{i + 1}.log"), append: true) { AutoFlush = true };
        Say($"# loop trials={trials} restart-delay={lo}-{hi} ms passive={_passive} settle={settle.TotalSeconds}s seed={seed} logs={dir} start={DateTime.UtcNow:HH:mm:ss}Z");

        if (!Recover(first: true)) return 1;
        int fast = 0, slow = 0, never = 0, downedTrials = 0, hlrTotal = 0, hlrTrials = 0, unreachTrials = 0, recoveries = 0;
        var times = new List<double>();
        for (var t = 1; t <= trials; t++)
        {
            if (!Healthy())
            {
                recoveries++;
                if (!Recover(first: false)) return 1;
            }
            long oldUid;
            lock (Gate) { TrialLines.Clear(); oldUid = Children[1]!.Uid; }
            var killedAt = DateTime.UtcNow;
            var victim = Children[1]!;
            victim.Proc.Kill(); // SIGKILL on Unix
            victim.Proc.WaitForExit();
            var delay = random.Next(lo, hi + 1);
            Thread.Sleep(delay);
            Start(1);
            var sw = Stopwatch.StartNew();
            double? rejoin = null;
            while (sw.Elapsed < TimeSpan.FromSeconds(60))
            {
                if (Healthy() && Children[1]!.Uid != oldUid) { rejoin = sw.Elapsed.TotalSeconds; break; }
                Thread.Sleep(50);
            }
            string unreachAfter = "";
            if (rejoin != null)
            {
                lock (Gate) TrialLines.Add((-1, "REJOINED"));
                Thread.Sleep(settle);
            }
            List<(int Node, string Line)> lines;
            lock (Gate) lines = TrialLines.ToList();
            var old = $"27552:{oldUid}";
            var afterRejoin = lines.SkipWhile(l => l.Line != "REJOINED").ToList();
            var downed = lines.Where(l => l.Line.Contains(" EVENT MemberDowned ") && !l.Line.EndsWith(old))
                .Select(l => l.Line[(l.Line.IndexOf("MemberDowned", StringComparison.Ordinal) + 13)..]).Distinct().ToList();
            downed.AddRange(lines.Where(l => l.Line.Contains(" REPRO SELF_REMOVED")).Select(l => $"n{l.Node + 1}-self-removed"));
            var unreach = afterRejoin.Where(l => l.Line.Contains(" EVENT Unreachable ") && !l.Line.EndsWith(old))
                .Select(l => $"n{l.Node + 1}->{l.Line[(l.Line.IndexOf("Unreachable", StringComparison.Ordinal) + 12)..]}").Distinct().ToList();
            unreachAfter = string.Join(",", unreach);
            var hlr = lines.Count(l => l.Line.Contains(" DEADLETTER_HLR ")); // the probe's AllDeadLetters subscription
            var hlrLogged = lines.Count(l => l.Line.Contains("HandleListenerRegistered") && !l.Line.Contains(" REPRO ")); // Akka's own dead-letter log
            var hlrWhere = string.Join(",", lines.Where(l => l.Line.Contains(" DEADLETTER_HLR ")).Select(l => $"n{l.Node + 1}").Distinct());
            var couldNotJoin = lines.Count(l => l.Node == 1 && l.Line.Contains("Couldn't join seed nodes"));
            if (rejoin is { } r) { times.Add(r); if (r < 10) fast++; else slow++; } else never++;
            if (downed.Count > 0) downedTrials++;
            if (unreach.Count > 0) unreachTrials++;
            hlrTotal += hlr;
            if (hlr > 0) hlrTrials++;
            Say($"trial {t,3} kill={killedAt:HH:mm:ss.fff}Z delay={delay,5}ms rejoin={(rejoin is { } x ? x.ToString("0.00", CultureInfo.InvariantCulture) + "s" : "NEVER(60s)"),-11} " +
                $"downed=[{string.Join(",", downed)}] unreachable-after-rejoin=[{unreachAfter}] hlr-deadletters={hlr}{(hlr > 0 ? "@" + hlrWhere : "")} akka-logged-hlr={hlrLogged} couldnt-join-warnings={couldNotJoin}");
        }
        times.Sort();
        var median = times.Count > 0 ? times[times.Count / 2] : double.NaN;
        Say($"# summary passive={_passive} delay={lo}-{hi}ms trials={trials} fast(<10s)={fast} slow(10-60s)={slow} never(60s)={never} " +
            $"of-which-over-25s={times.Count(x => x >= 25)} downed-trials={downedTrials} unreachable-after-rejoin-trials={unreachTrials} hlr-deadletters={hlrTotal} (in {hlrTrials} trials) " +
            $"median-rejoin={median.ToString("0.00", CultureInfo.InvariantCulture)}s cluster-recoveries={recoveries} end={DateTime.UtcNow:HH:mm:ss}Z");
        KillAll();
        return 0;
    }

    /// <summary>A fresh three-node cluster (all processes killed and started again), waited for up to 120 s.</summary>
    private static bool Recover(bool first)
    {
        if (!first) Say("# cluster not healthy: restarting all three nodes");
        KillAll();
        for (var i = 0; i < 3; i++) Start(i);
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed < TimeSpan.FromSeconds(120))
        {
            if (Healthy()) { Say($"# cluster up in {sw.Elapsed.TotalSeconds:0.0}s"); Thread.Sleep(2000); return true; }
            Thread.Sleep(100);
        }
        Say("# cluster did not form in 120 s; giving up");
        KillAll();
        return false;
    }

    /// <summary>Every node runs, and sees all three current incarnations Up and none unreachable.</summary>
    private static bool Healthy()
    {
        lock (Gate)
        {
            if (Children.Any(c => c == null || c.Exited || c.Uid == 0)) return false;
            foreach (var c in Children)
            {
                if (c!.Unreachable.Length > 0 || c.Members.Count != 3) return false;
                for (var j = 0; j < 3; j++)
                    if (!c.Members.TryGetValue(Program.Ports[j], out var m) || m.Uid != Children[j]!.Uid || m.Status != "Up") return false;
            }
            return true;
        }
    }

    private static void Start(int i)
    {
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        foreach (var a in new[] { Path.Combine(AppContext.BaseDirectory, "akka-restart-repro.dll"), "node", "--port", Program.Ports[i].ToString(CultureInfo.InvariantCulture), "--passive", _passive })
            psi.ArgumentList.Add(a);
        var proc = new Process { StartInfo = psi, EnableRaisingEvents = true };
        var child = new Child { Index = i, Proc = proc };
        proc.OutputDataReceived += (_, e) => { if (e.Data != null) OnLine(child, e.Data); };
        proc.ErrorDataReceived += (_, e) => { if (e.Data != null) OnLine(child, "STDERR " + e.Data); };
        proc.Exited += (_, _) => { lock (Gate) child.Exited = true; };
        lock (Gate)
        {
            Logs[i]!.WriteLine($"{DateTime.UtcNow:HH:mm:ss.fff} ===== loop: starting node {i + 1} (port {Program.Ports[i]})");
            proc.Start();
            Children[i] = child;
        }
        proc.BeginOutputReadLine();
        proc.BeginErrorReadLine();
    }

    private static void OnLine(Child c, string line)
    {
        lock (Gate)
        {
            Logs[c.Index]!.WriteLine(line);
            if (!ReferenceEquals(Children[c.Index], c)) return;
            TrialLines.Add((c.Index, line));
            var at = line.IndexOf(" REPRO ", StringComparison.Ordinal);
            if (at < 0) return;
            var words = line[(at + 7)..].Split(' ');
            if (words[0] == "SELF") c.Uid = long.Parse(words[2]["uid=".Length..], CultureInfo.InvariantCulture);
            else if (words[0] == "VIEW")
            {
                c.Members = words[1]["members=".Length..].Split(',', StringSplitOptions.RemoveEmptyEntries)
                    .Select(m => m.Split(':'))
                    .ToDictionary(p => int.Parse(p[0], CultureInfo.InvariantCulture), p => (long.Parse(p[1], CultureInfo.InvariantCulture), p[2]));
                c.Unreachable = words[2]["unreachable=".Length..];
            }
        }
    }

    private static void KillAll()
    {
        foreach (var c in Children)
        {
            if (c == null) continue;
            try { if (!c.Proc.HasExited) { c.Proc.Kill(); c.Proc.WaitForExit(5000); } } catch (InvalidOperationException) { }
        }
    }
}
