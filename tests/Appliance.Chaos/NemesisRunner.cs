using System.Diagnostics;
using Appliance.Nodes.Postgres;
using Appliance.Nodes.State;
using Npgsql;

namespace Appliance.Chaos;

/// <summary>What happened to one fault.</summary>
/// <param name="Fault">The fault.</param>
/// <param name="Targets">The nodes it hit.</param>
/// <param name="At">When it started (run clock).</param>
/// <param name="HealTime">From the end of the fault (links restored, processes released) until the cluster was healthy.</param>
/// <param name="Note">What the harness saw on the way, e.g. what verify said while the cluster could not heal.</param>
/// <param name="Divergence">For <see cref="Nemesis.DivergePrimary"/>: the fork it made, measured on the servers.</param>
public sealed record FaultResult(Fault Fault, IReadOnlyList<string> Targets, TimeSpan At, TimeSpan HealTime, string Note,
    Divergence? Divergence = null);

/// <summary>Injects one fault into a <see cref="ChaosCluster"/>, ends it, and waits until the cluster has healed.</summary>
public sealed class NemesisRunner(ChaosCluster cluster, PrimaryPoller poller, Random random)
{
    /// <summary>How long the cluster may take to heal after a fault ends before the run fails (generous: a loaded 2-core machine restarts a whole cluster slowly).</summary>
    public TimeSpan HealTimeout { get; init; } = TimeSpan.FromSeconds(240);

    private History History => cluster.History;

    /// <summary>Runs <paramref name="fault"/> and waits for the cluster to heal.</summary>
    /// <exception cref="ChaosCheckException">The cluster did not heal, or did not say it could not.</exception>
    public async Task<FaultResult> RunAsync(Fault fault)
    {
        var at = History.Now;
        var targets = new List<ChaosNode>();
        var note = "";
        Divergence? divergence = null;
        async Task<ChaosNode> Role(string role) =>
            await cluster.NodeInRoleAsync(role) ?? throw new ChaosCheckException($"{fault}: no node is {role} in the newest state");

        switch (fault.Nemesis)
        {
            case Nemesis.KillPrimaryHost or Nemesis.KillSyncHost or Nemesis.KillAsyncHost:
            {
                var n = await Role(RoleOf(fault.Nemesis));
                targets.Add(n);
                History.Log($"nemesis {fault}: kill -9 host of {n.Name}");
                n.HeldDown = true;
                n.KillHost();
                await Task.Delay(fault.Hold);
                note = await UntilNoticedAsync(fault);
                n.HeldDown = false;
                n.Start();
                break;
            }
            case Nemesis.KillPrimaryPostmaster or Nemesis.KillSyncPostmaster or Nemesis.KillAsyncPostmaster:
            {
                var n = await Role(RoleOf(fault.Nemesis));
                targets.Add(n);
                History.Log($"nemesis {fault}: kill -9 postmaster of {n.Name} (its host restarts it)");
                // A postmaster may be down at this moment (restarting, cloning): then the fault did nothing, and says so.
                var killed = n.PostmasterPid;
                if (killed == 0) note = "no postmaster was running: nothing killed";
                n.KillPostmaster();
                // The heal is timed from the postmaster's death, not from the signal: until the kill has landed, every
                // view still shows it running, and a heal check passed at once ("healed in 0.0 s") left the restart to
                // the next fault or check (a long run's check after fault 220 found the primary refusing connections).
                var landed = History.Now + TimeSpan.FromSeconds(5);
                while (killed != 0 && n.PostmasterPid == killed && History.Now < landed) await Task.Delay(20);
                break;
            }
            case Nemesis.CrashPrimary or Nemesis.CrashSync or Nemesis.CrashAsync:
                targets.Add(await Role(RoleOf(fault.Nemesis)));
                note = await CrashForAsync(fault, targets);
                break;
            case Nemesis.CrashPrimaryAndAsync:
                targets.AddRange([await Role("primary"), await Role("async")]);
                note = await CrashForAsync(fault, targets);
                break;
            case Nemesis.CrashSyncAndAsync:
                targets.AddRange([await Role("sync"), await Role("async")]);
                note = await CrashForAsync(fault, targets);
                break;
            case Nemesis.PausePrimaryHostShort or Nemesis.PausePrimaryHostLong:
            {
                var n = await Role("primary");
                targets.Add(n);
                var hold = fault.Nemesis == Nemesis.PausePrimaryHostShort ? TimeSpan.FromSeconds(1) : TimeSpan.FromSeconds(6);
                History.Log($"nemesis {fault}: SIGSTOP host of {n.Name} for {hold.TotalSeconds} s");
                n.PauseHost(stop: true);
                await Task.Delay(hold);
                n.PauseHost(stop: false);
                break;
            }
            case Nemesis.PausePrimaryPostmasterShort or Nemesis.PausePrimaryPostmasterLong:
            {
                var n = await Role("primary");
                targets.Add(n);
                var hold = fault.Nemesis == Nemesis.PausePrimaryPostmasterShort ? TimeSpan.FromSeconds(1) : TimeSpan.FromSeconds(6);
                History.Log($"nemesis {fault}: SIGSTOP postmaster (and backends) of {n.Name} for {hold.TotalSeconds} s");
                var pids = n.PausePostmaster(stop: true);
                await Task.Delay(hold);
                n.PausePostmaster(stop: false, pids);
                break;
            }
            case Nemesis.IsolatePrimary or Nemesis.IsolateSync or Nemesis.IsolateCoordinator:
            {
                var n = fault.Nemesis == Nemesis.IsolateCoordinator
                    ? cluster.OldestMember() ?? throw new ChaosCheckException("no node runs")
                    : await Role(fault.Nemesis == Nemesis.IsolatePrimary ? "primary" : "sync");
                targets.Add(n);
                History.Log($"nemesis {fault}: isolate {n.Name}");
                cluster.Lab.Isolate(n.Index);
                await Task.Delay(fault.Hold);
                break;
            }
            case Nemesis.AsymmetricPrimary:
            {
                var p = await Role("primary");
                var s = await Role("sync");
                targets.AddRange([p, s]);
                History.Log($"nemesis {fault}: {p.Name} reaches only {s.Name}; {s.Name} reaches everyone");
                foreach (var o in cluster.Nodes.Where(o => o != p && o != s)) cluster.Lab.CutBoth(p.Index, o.Index);
                await Task.Delay(fault.Hold);
                break;
            }
            case Nemesis.OneWayFromPrimary:
            {
                var p = await Role("primary");
                targets.Add(p);
                History.Log($"nemesis {fault}: drop every packet from {p.Name} to the other nodes");
                foreach (var o in cluster.Nodes.Where(o => o != p)) cluster.Lab.Cut(p.Index, o.Index);
                await Task.Delay(fault.Hold);
                break;
            }
            case Nemesis.RestartAll:
            {
                targets.AddRange(cluster.Nodes);
                History.Log($"nemesis {fault}: kill -9 every node");
                foreach (var n in cluster.Nodes) n.HeldDown = true;
                foreach (var n in cluster.Nodes) n.Crash();
                foreach (var n in cluster.Nodes.OrderBy(_ => random.Next()))
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(random.Next(0, 3000)));
                    History.Log($"starting {n.Name}");
                    n.HeldDown = false;
                    n.Start();
                }
                break;
            }
            case Nemesis.RollingRestart:
            {
                foreach (var n in cluster.Nodes.OrderBy(_ => random.Next()))
                {
                    targets.Add(n);
                    History.Log($"nemesis {fault}: kill -9 {n.Name}, start it again");
                    n.HeldDown = true;
                    n.Crash();
                    await Task.Delay(TimeSpan.FromMilliseconds(random.Next(500, 3000)));
                    n.HeldDown = false;
                    n.Start();
                    await Task.Delay(TimeSpan.FromMilliseconds(random.Next(1000, 5000)));
                }
                break;
            }
            case Nemesis.CrashPrimaryAndSync:
                note = await PrimaryAndSyncLostAsync(fault, targets, Role);
                break;
            case Nemesis.DivergePrimary:
                divergence = await DivergeAsync(fault, targets, Role);
                break;
            default:
                throw new UnreachableException(fault.Nemesis.ToString());
        }
        cluster.Lab.HealAll();
        var ended = History.Now;
        History.Log($"fault over (targets {string.Join(",", targets.Select(t => t.Name))}); waiting for the cluster to heal");
        await cluster.WaitHealthyAsync(HealTimeout);
        var heal = History.Now - ended;
        History.Log($"healed in {heal.TotalSeconds:0.0} s: {(await cluster.HealthAsync()).Why}");
        if (divergence is not null)
        {
            divergence = await MeasureForkAsync(divergence);
            History.Log($"{fault}: {divergence}");
            note = divergence.Why;
        }
        return new FaultResult(fault, [.. targets.Select(t => t.Name)], at, heal, note, divergence);
    }

    private static string RoleOf(Nemesis n) => n.ToString() switch
    {
        var s when s.Contains("Primary") => "primary",
        var s when s.Contains("Sync") => "sync",
        _ => "async",
    };

    private async Task<string> CrashForAsync(Fault fault, IReadOnlyList<ChaosNode> targets)
    {
        History.Log($"nemesis {fault}: crash {string.Join(",", targets.Select(t => t.Name))} for {fault.Hold.TotalSeconds} s");
        foreach (var n in targets) n.HeldDown = true;
        foreach (var n in targets) n.Crash();
        await Task.Delay(fault.Hold);
        var note = await UntilNoticedAsync(fault);
        foreach (var n in targets)
        {
            n.HeldDown = false;
            n.Start();
        }
        return note;
    }

    /// <summary>How long a node kept down may wait past its hold for the cluster to notice that it is gone.</summary>
    public TimeSpan NoticeTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Keeps the killed nodes down, past the hold if need be (at most <see cref="NoticeTimeout"/>), until the cluster's
    /// health check sees the fault, so that the heal is timed from a fault the cluster saw. A hold shorter than failure
    /// detection otherwise ended before the coordinator noticed the loss: the heal check passed at once, and the
    /// recovery ran into the next fault, which was then counted slow (long run 9: a sync host's kill "healed" 0.6 s
    /// after its restart, and the next fault took the coordinator's late reaction).
    /// </summary>
    /// <returns>A note when the cluster never noticed; empty otherwise.</returns>
    private async Task<string> UntilNoticedAsync(Fault fault)
    {
        var deadline = History.Now + NoticeTimeout;
        while (History.Now < deadline)
        {
            if (!(await cluster.HealthAsync()).Healthy) return "";
            await Task.Delay(250);
        }
        History.Log($"{fault}: the cluster's health check did not see the fault within {NoticeTimeout.TotalSeconds:0} s of its hold");
        return $"the cluster did not notice the fault within {NoticeTimeout.TotalSeconds:0} s of its hold";
    }

    /// <summary>
    /// Crashes the primary and the sync and keeps them down: no other node may take writes (the design cannot prove
    /// an async holds every acknowledged write), and <c>appliance verify</c> must exit non-zero naming the problem.
    /// Then brings both back; the cluster must heal with them.
    /// </summary>
    private async Task<string> PrimaryAndSyncLostAsync(Fault fault, List<ChaosNode> targets, Func<string, Task<ChaosNode>> role)
    {
        var p = await role("primary");
        var s = await role("sync");
        targets.AddRange([p, s]);
        History.Log($"nemesis {fault}: crash primary {p.Name} and sync {s.Name}; they stay down");
        p.HeldDown = s.HeldDown = true;
        p.Crash();
        s.Crash();
        var crashed = History.Now;
        // Long enough for failure detection, the split-brain resolver and an evaluation (a takeover would be done).
        var hold = fault.Hold < TimeSpan.FromSeconds(12) ? TimeSpan.FromSeconds(12) : fault.Hold;
        var survivors = cluster.Nodes.Where(n => n != p && n != s).ToList();
        // Exit 1 is verify listing problems; 2 means it reached no node (a survivor downed by the split-brain
        // resolver is restarting), which says nothing yet. It must name the wait, not just fail: a survivor restarted
        // alone runs no coordinator and reads the last state from the store.
        const string waits = "are both unreachable";
        var (code, output) = (0, "");
        while (History.Now - crashed < hold || code != 1 || !output.Contains(waits, StringComparison.Ordinal))
        {
            if (code == 0 && History.Now - crashed > TimeSpan.FromSeconds(8))
                throw new ChaosCheckException($"{fault}: appliance verify against {survivors[0].Name} exits 0 with primary and sync down:\n{output}");
            if (History.Now - crashed > hold + TimeSpan.FromSeconds(90))
                throw new ChaosCheckException($"{fault}: appliance verify against {survivors[0].Name} never said that primary and sync are both unreachable (exit {code}):\n{output}");
            await Task.Delay(1000);
            (code, output) = await VerifyCliAsync(survivors[0]);
        }
        var writable = poller.Samples.Where(x => x.Writable && x.Start > crashed + TimeSpan.FromSeconds(1) && survivors.Any(n => n.Name == x.Node)).ToList();
        if (writable.Count > 0)
            throw new ChaosCheckException($"{fault}: {writable[0].Node} answered /primary 200 at {writable[0].Start.TotalSeconds:0.0} s while primary and sync were lost");
        var said = string.Join(" | ", output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        History.Log($"verify exits {code} with primary and sync down: {said}");
        p.HeldDown = s.HeldDown = false;
        p.Start();
        s.Start();
        return $"verify exit {code}: {said}";
    }

    /// <summary>
    /// Forks the primary's WAL off its sync's: cuts the two apart, commits a row on the primary past anything it could
    /// have sent before the cut, waits until that WAL is flushed, crashes the primary's machine with it on disk (its
    /// processes and its kernel's sockets), restores the links, and keeps it down for the hold and until the state names
    /// its successor, so that it comes back deposed and must be rewound. The fork is only proven once the cluster has
    /// healed (<see cref="MeasureForkAsync"/>); what stood in the way is recorded, not thrown, so that the fault still
    /// ends and heals and the schedule's checks say what went wrong.
    /// </summary>
    private async Task<Divergence> DivergeAsync(Fault fault, List<ChaosNode> targets, Func<string, Task<ChaosNode>> role)
    {
        var p = await role("primary");
        var s = await role("sync");
        targets.AddRange([p, s]);
        var forkedId = -Interlocked.Increment(ref _forks);
        History.Log($"nemesis {fault}: cut {p.Name} and its sync {s.Name} apart, commit id {forkedId} on {p.Name} alone, crash {p.Name}");
        cluster.Lab.CutBoth(p.Index, s.Index);
        var (end, notForked) = await WriteForkedWalAsync(p, forkedId);
        p.HeldDown = true;
        p.Crash();
        cluster.Lab.DropSockets(p.Index);
        var crashed = History.Now;
        // Nothing can reach the sync from the old primary any more: this is all it will ever have of that WAL.
        Lsn? received = null;
        try { received = await WalProbe.ReceivedAsync(s); }
        catch (Exception e) when (e is NpgsqlException or TimeoutException or IOException) { History.Log($"{s.Name}'s received position not read: {e.Message}"); }
        History.Log($"crashed {p.Name} with WAL to {end?.ToString() ?? "(unknown)"}; {s.Name} had received {received?.ToString() ?? "(unknown)"}; links restored");
        cluster.Lab.HealAll();
        var successor = await WaitForSuccessorAsync(p, crashed + fault.Hold);
        p.HeldDown = false;
        var restartMark = p.Log.Mark;
        p.Start();
        return new Divergence(p.Name, s.Name, forkedId, end, received, notForked, successor, restartMark);
    }

    // Forked rows get ids -1, -2, …: the clients' ids are positive, so the checks never judge them.
    private long _forks;

    /// <summary>How long the primary may take to flush WAL past where it stood when it was cut from its sync.</summary>
    public static readonly TimeSpan WalPastTheCutTimeout = TimeSpan.FromSeconds(15);

    /// <summary>
    /// A walsender sends only WAL that is written (flushed, for physical replication), so everything that left
    /// <paramref name="p"/> before the cut lies at or below its written position read after it: WAL flushed beyond
    /// that never reached the sync. The clients' commits do not reliably get there: each client's first commit after
    /// the cut waits on the sync, and the few in flight may all have been written before the position is read (one
    /// run waited 4.7 s, and got 64 bytes of background WAL). So the harness commits row <paramref name="forkedId"/>
    /// itself, with the commit guard's superuser escape hatch (<c>synchronous_commit = local</c>): a write that only
    /// the old primary ever has, and that no node may hold once the cluster has healed.
    /// </summary>
    private async Task<(WalEnd? End, string? NotForked)> WriteForkedWalAsync(ChaosNode p, long forkedId)
    {
        try
        {
            await using var c = await WalProbe.OpenAsync(p);
            var bar = (await WalProbe.EndAsync(c)).Written;
            try
            {
                await using (var local = new NpgsqlCommand($"SET {CommitGuard.AllowLocalCommitSetting} = on; SET synchronous_commit = local", c))
                    await local.ExecuteNonQueryAsync();
                await using var commit = new NpgsqlCommand("INSERT INTO chaos (id, node) VALUES ($1, $2)", c);
                commit.Parameters.AddWithValue(forkedId);
                commit.Parameters.AddWithValue($"fork:{p.Name}");
                await commit.ExecuteNonQueryAsync();
            }
            catch (PostgresException e)
            {
                // A primary that fenced itself refuses writes; then only other WAL can pass the bar, and may not.
                History.Log($"{p.Name} refused the forked row {forkedId}: {e.MessageText}");
            }
            var deadline = History.Now + WalPastTheCutTimeout;
            while (true)
            {
                var end = await WalProbe.EndAsync(c);
                if (end.Flushed > bar)
                {
                    History.Log($"{p.Name} flushed WAL to {end}, past {bar} where it stood when cut off from its sync");
                    return (end, null);
                }
                if (History.Now > deadline)
                    return (end, $"{p.Name} flushed no WAL past {bar} (where it stood when cut off from its sync) in {WalPastTheCutTimeout.TotalSeconds:0} s: no commit reached it");
                await Task.Delay(50);
            }
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException or IOException)
        {
            return (null, $"{p.Name}'s WAL position could not be read: {e.Message}");
        }
    }

    // Waits until the hold is over and the state names a primary other than the crashed one; returns it, or null after
    // the heal timeout (a takeover is part of healing, and as slow on a loaded machine).
    private async Task<string?> WaitForSuccessorAsync(ChaosNode old, TimeSpan holdUntil)
    {
        var deadline = History.Now + HealTimeout;
        while (true)
        {
            var primary = (await cluster.StateAsync())?.Primary?.Id;
            if (primary is not null && primary != old.Name && History.Now >= holdUntil)
            {
                History.Log($"the state names {primary} primary; starting {old.Name} again");
                return primary;
            }
            if (History.Now > deadline)
            {
                History.Log($"no node took over from {old.Name} in {HealTimeout.TotalSeconds:0} s; starting it again");
                return null;
            }
            await Task.Delay(250);
        }
    }

    /// <summary>After the heal: the new primary's history (where it left the old timeline) and where every node's PostgreSQL log stands.</summary>
    private async Task<Divergence> MeasureForkAsync(Divergence d)
    {
        var primary = await cluster.NodeInRoleAsync("primary") ?? throw new ChaosCheckException("no primary in the healed state");
        TimelineHistory history;
        try { history = await WalProbe.PrimaryHistoryAsync(primary); }
        catch (Exception e) when (e is NpgsqlException or TimeoutException or IOException)
        {
            throw new ChaosCheckException($"the healed primary {primary.Name}'s timeline history could not be read: {e.Message}");
        }
        return d with { NewPrimary = primary.Name, NewHistory = history, HealedMarks = cluster.Nodes.ToDictionary(n => n.Name, n => n.ServerLog.Mark) };
    }

    /// <summary>Runs <c>appliance verify --endpoint</c> against <paramref name="n"/>, as an operator would.</summary>
    public async Task<(int Code, string Output)> VerifyCliAsync(ChaosNode n)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { cluster.ApplianceDll, "verify", "--endpoint", n.Url }) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try { await p.WaitForExitAsync(cts.Token); }
        catch (OperationCanceledException)
        {
            p.Kill(entireProcessTree: true);
            return (-1, "verify did not finish in 60 s");
        }
        return (p.ExitCode, await stdout + await stderr);
    }
}
