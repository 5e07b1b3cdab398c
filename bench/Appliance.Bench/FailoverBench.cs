using Appliance.Nodes.Postgres;
namespace Appliance.Bench;

/// <summary>What a failover trial does to the cluster.</summary>
internal enum Fault
{
    /// <summary>kill -9 of the primary's host process, its postmaster and their children.</summary>
    PrimaryCrash,
    /// <summary>The same for the sync; writes block until the primary names a new sync.</summary>
    SyncCrash,
    /// <summary><c>POST /switchover</c> (what <c>appliance switchover</c> sends).</summary>
    Switchover,
    /// <summary>SIGTERM of the primary's host process, which switches over before it stops.</summary>
    SigtermPrimary,
}

/// <summary>One trial's raw numbers; times in seconds on <see cref="Clock"/>, durations in seconds.</summary>
internal sealed record FailoverTrial(int Trial, string Fault, string Victim, string? OldPrimary, string? NewPrimary,
    double PreDelay, double At, double KillToFirstAck, double WriteGap, int UnackedInGap, int ConnFailsInGap, int LostAcked,
    double? RejoinSeconds, string? RejoinMethod, double? FaultToHealthy, string LoadAvg, List<int> KilledPids, string? Coordinator,
    bool VictimHostedCoordinator);

/// <summary>
/// Repeats one <see cref="Fault"/> against a running healthy cluster while the <see cref="Writer"/> writes, and
/// measures the time from the fault to the first acknowledged write that was sent after it (for a primary fault:
/// acknowledged by another node), the longest pause between two acknowledgements around it (the write outage),
/// and whether every acknowledged id is on the primary afterwards. A killed or stopped node is restarted and the
/// time until it streams again (rejoin) is recorded.
/// </summary>
/// <remarks>
/// With <c>avoidCoordinator</c>, a primary that shares its host with the coordinator singleton is first switched
/// over to its sync, so that every crash measures the design case "coordinator off the write path" (DESIGN §4.5).
/// Without it the cluster runs as it would in production, and repeated crashes rotate the primary onto the oldest
/// node, which hosts the singleton.
/// </remarks>
internal sealed class FailoverBench(BenchSettings s, Results results, int seed, bool avoidCoordinator = false, int settleSeconds = 0,
    int restartAfterSeconds = 0)
{
    private readonly Random _rng = new(seed);

    public async Task<List<FailoverTrial>> RunAsync(Fault fault, int trials)
    {
        var name = $"failover-{fault.ToString().ToLowerInvariant()}{(avoidCoordinator ? "-offcoordinator" : "")}{(restartAfterSeconds > 0 ? $"-restart{restartAfterSeconds}s" : "")}";
        await using var cluster = new ApplianceCluster(s, name);
        var list = new List<FailoverTrial>();
        var failures = new List<string>();
        var writes = 0;
        // A trial that leaves the cluster unable to recover is recorded, and the trials go on with a fresh cluster.
        while (list.Count < trials && failures.Count < 5)
        {
            await cluster.StartHealthyAsync();
            var cs = cluster.MultiHostConnectionString();
            await Writer.CreateTableAsync(cs);
            await using var writer = new Writer(cs);
            writer.Start();
            await Task.Delay(2000);
            try
            {
                while (list.Count < trials)
                {
                    await cluster.WaitHealthyAsync(TimeSpan.FromSeconds(300));
                    if (avoidCoordinator && await cluster.PrimaryAsync() is { } p && cluster.CoordinatorHost() == p)
                    {
                        var (code, body) = await NodeApi.PostAsync(cluster.Nodes.First(n => n != p), "/switchover", new { });
                        Log.Line($"primary {p.Name} hosts the coordinator: switchover first ({code})");
                        if (code != 200) throw new InvalidOperationException($"switchover refused: {code} {body}");
                        await cluster.WaitHealthyAsync(TimeSpan.FromSeconds(300));
                    }
                    if (!avoidCoordinator && settleSeconds > 0) await SettleAsync(cluster);
                    // A random phase against the 500 ms report / evaluation ticks, like the Patroni harness's random delay.
                    var delay = 1.0 + _rng.NextDouble() * 2.0;
                    await Task.Delay(TimeSpan.FromSeconds(delay));
                    var trial = await OneAsync(cluster, writer, fault, list.Count + 1, delay);
                    list.Add(trial);
                    Log.Line($"{fault} trial {trial.Trial}: {trial.Victim} -> new primary {trial.NewPrimary}; first ack {trial.KillToFirstAck:0.00} s, " +
                             $"gap {trial.WriteGap:0.00} s, lost {trial.LostAcked}, rejoin {trial.RejoinSeconds:0.0} s ({trial.RejoinMethod}), coordinator on {trial.Coordinator}, load {trial.LoadAvg}");
                    await results.WriteAsync(name, new { fault = fault.ToString(), trials = list, failures, cluster.FormationFailures, cluster.ServiceRestarts });
                }
            }
            catch (Exception e) when (e is TimeoutException or InvalidOperationException or Npgsql.NpgsqlException)
            {
                failures.Add($"trial {list.Count + 1} (load {Machine.LoadAverage()}): {e.Message}");
                Log.Line($"{fault} trial {list.Count + 1} FAILED: {e.Message.Split('\n')[0]}; starting a fresh cluster");
            }
            writes += writer.Snapshot().Count;
            await writer.DisposeAsync();
            if (list.Count < trials) await cluster.ResetAsync();
        }
        await results.WriteAsync(name, new { fault = fault.ToString(), trials = list, failures, cluster.FormationFailures, cluster.ServiceRestarts, writes });
        await results.AppendSummaryAsync($"{fault}: kill->first ack {Stats.Of([.. list.Select(t => t.KillToFirstAck)])}; " +
            $"write gap {Stats.Of([.. list.Select(t => t.WriteGap)])}; lost acked {list.Sum(t => t.LostAcked)}; " +
            $"rejoin {Stats.Of([.. list.Where(t => t.RejoinSeconds is not null).Select(t => t.RejoinSeconds!.Value)])}; " +
            $"failed trials {failures.Count}, failed start-ups {cluster.FormationFailures.Count}, service restarts {cluster.ServiceRestarts.Count}");
        await results.AppendSummaryAsync($"{fault}{(avoidCoordinator ? " (coordinator kept off the primary)" : "")}: victim hosted the coordinator: " +
            $"{Stats.Of([.. list.Where(t => t.VictimHostedCoordinator).Select(t => t.KillToFirstAck)])}; did not: " +
            $"{Stats.Of([.. list.Where(t => !t.VictimHostedCoordinator).Select(t => t.KillToFirstAck)])}");
        return list;
    }

    /// <summary>
    /// As deployed, crashes come minutes apart, not seconds: waits up to <c>--settle</c> seconds for the cluster's own
    /// relief (appliance.coordinator.relieve-host-after) to move the primary and sync off the coordinator's host, and
    /// logs whether it did. The kill then finds the cluster as production would.
    /// </summary>
    private async Task SettleAsync(ApplianceCluster cluster)
    {
        var started = Clock.Now;
        while (Clock.Now - started < settleSeconds)
        {
            var st = await cluster.StateAsync();
            var host = cluster.CoordinatorHost()?.Name;
            if (st is not null && host is not null && st.Primary?.Id != host && st.Sync?.Id != host)
            {
                await cluster.WaitHealthyAsync(TimeSpan.FromSeconds(300));
                Log.Line($"settled after {Clock.Now - started:0.0} s: coordinator on {host}, primary {st.Primary?.Id}, sync {st.Sync?.Id}");
                return;
            }
            await Task.Delay(500);
        }
        Log.Line($"not settled after {settleSeconds} s: the coordinator's host is still primary or sync");
    }

    private async Task<FailoverTrial> OneAsync(ApplianceCluster cluster, Writer writer, Fault fault, int k, double delay)
    {
        var state = await cluster.StateAsync() ?? throw new InvalidOperationException("no state");
        var oldPrimary = cluster.Node(state.Primary!.Id);
        var victim = fault == Fault.SyncCrash ? cluster.Node(state.Sync!.Id) : oldPrimary;
        var status = await NodeApi.StatusAsync(victim) ?? throw new InvalidOperationException($"{victim.Name} has no status");
        var load = Machine.LoadAverage();
        var coordinator = cluster.CoordinatorHost()?.Name;

        double at;
        var killed = new List<int>();
        switch (fault)
        {
            case Fault.PrimaryCrash or Fault.SyncCrash:
                (at, killed) = await victim.CrashAsync(status.PostmasterPid);
                break;
            case Fault.Switchover:
                at = Clock.Now;
                var via = cluster.Nodes.First(n => n != oldPrimary);
                var (code, body) = await NodeApi.PostAsync(via, "/switchover", new { });
                if (code != 200) throw new InvalidOperationException($"switchover refused: {code} {body}");
                break;
            case Fault.SigtermPrimary:
                at = Clock.Now;
                ProcessSignal.Send(victim.Process!.Id, ProcessSignal.Term);
                break;
            default: throw new ArgumentOutOfRangeException(nameof(fault));
        }

        // The first acknowledged write sent after the fault; after a primary fault it must come from another node.
        var primaryMoves = fault != Fault.SyncCrash;
        WriteEvent? first = null;
        var deadline = at + 180;
        while (first is null)
        {
            if (Clock.Now > deadline) throw new TimeoutException($"no acknowledged write within 180 s of {fault} in trial {k}\n{cluster.Tails()}");
            first = writer.Snapshot().FirstOrDefault(e => e.Kind == "ok" && e.Sent > at && (!primaryMoves || e.Port != oldPrimary.PgPort));
            if (first is null) await Task.Delay(20);
        }
        var events = writer.Snapshot();
        var acks = events.Where(e => e.Kind == "ok" && e.Done >= at - 2 && e.Done <= first.Done).Select(e => e.Done).ToList();
        var gap = acks.Zip(acks.Skip(1), (a, b) => b - a).DefaultIfEmpty(0).Max();
        var lastBefore = acks.Count > 1 ? acks[^2] : at;
        var inGap = events.Where(e => e.Sent >= lastBefore && e.Sent <= first.Done).ToList();
        var newPrimary = cluster.Nodes.FirstOrDefault(n => n.PgPort == first.Port)?.Name;

        await Task.Delay(1000);
        var lost = (await writer.MissingAckedAsync(first.Port)).Count;

        double? rejoin = null;
        string? method = null;
        if (fault is Fault.PrimaryCrash or Fault.SyncCrash or Fault.SigtermPrimary)
        {
            if (fault == Fault.SigtermPrimary) await victim.StopAsync(TimeSpan.FromSeconds(90));   // it exits by itself
            victim.KillLeftoverPostmaster();
            // As a service manager's restart delay (systemd RestartSec) would: no sooner than --restart-after s after the fault.
            var wait = at + restartAfterSeconds - Clock.Now;
            if (wait > 0) await Task.Delay(TimeSpan.FromSeconds(wait));
            var logBefore = victim.LogText().Length;
            var t0 = Clock.Now;
            cluster.Start(victim);
            await cluster.WaitHealthyAsync(TimeSpan.FromSeconds(300));
            rejoin = Clock.Now - t0;
            var log = victim.LogText()[logBefore..];
            method = log.Contains("(Cloned)") ? "cloned" : log.Contains("(Rewound)") ? "rewound" : "followed";
        }
        else
        {
            await cluster.WaitHealthyAsync(TimeSpan.FromSeconds(300));
        }
        return new FailoverTrial(k, fault.ToString(), victim.Name, oldPrimary.Name, newPrimary, Math.Round(delay, 3), at,
            Math.Round(first.Done - at, 3), Math.Round(gap, 3), inGap.Count(e => e.Kind == "err"), inGap.Count(e => e.Kind == "connfail"),
            lost, rejoin is null ? null : Math.Round(rejoin.Value, 2), method, Math.Round(Clock.Now - at, 2), load, killed,
            coordinator, coordinator == victim.Name);
    }
}
