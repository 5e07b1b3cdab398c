using System.Globalization;
using Appliance.Host.Api;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Appliance.Host.Cli;

/// <summary>Human output of the CLI: Spectre.Console tables and topology lines.</summary>
public static class Render
{
    /// <summary>A console on standard output; redirected output gets no colour and a wide fixed width, so scripts and tests see whole lines.</summary>
    public static IAnsiConsole Console()
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(System.Console.Out) });
        if (System.Console.IsOutputRedirected) console.Profile.Width = 200;
        return console;
    }

    /// <summary>Bytes for humans: <c>0 B</c>, <c>12.0 kB</c>, <c>3.4 MB</c>.</summary>
    public static string Bytes(ulong? bytes)
    {
        if (bytes is not { } b) return "?";
        string[] units = ["B", "kB", "MB", "GB", "TB"];
        double v = b;
        var u = 0;
        while (v >= 1024 && u < units.Length - 1) { v /= 1024; u++; }
        return u == 0 ? $"{b} B" : v.ToString("0.0", CultureInfo.InvariantCulture) + " " + units[u];
    }

    /// <summary>The state's one-line header: generation, version, initWal, mode and freeze.</summary>
    public static string Header(StateDto s) =>
        $"generation {s.Generation} (version {s.Version}), initWal {s.InitWal}, mode {(s.Singleton ? "singleton" : "normal")}, " +
        (s.StandbyOf is { } source ? $"standby cluster of {source} (the primary is its standby leader, read-only), " : "") +
        (s.Freeze is { } f ? $"frozen since {f.Since.ToUniversalTime():yyyy-MM-dd HH:mm:ss}Z: {f.Reason}" : "not frozen") +
        (s.Maintenance is { Count: > 0 } m ? $", in maintenance: {string.Join(",", m)}" : "") +
        (s.ScheduledSwitchover is { } planned ? $", switchover to {planned.To ?? "the sync"} scheduled for {planned.At.ToUniversalTime():yyyy-MM-dd HH:mm:ss}Z" : "");

    /// <summary><c>status</c>: header, peer table, the coordinator's refusal and the problems <see cref="Verify"/> finds.</summary>
    public static void Cluster(IAnsiConsole console, ClusterViewDto view)
    {
        if (view.State is not { } state)
        {
            console.WriteLine("No cluster state yet: the cluster is being set up (it needs at least 2 members).");
            return;
        }
        console.WriteLine(Header(state));
        var table = new Table().Border(TableBorder.Rounded)
            .AddColumns("PEER", "ROLE", "ADDRESS", "PG", "READ-WRITE", "TIMELINE", "WAL", "LAG", "UPSTREAM", "HEALTH");
        foreach (var p in view.Peers)
        {
            var health = p.Reachable ? "ok" : "down";
            table.AddRow(Cells(p.Id, p.Role, $"{p.Host}:{p.Port}", p.Reachable ? "up" : "down", p.ReadWrite ? "yes" : "no",
                p.Timeline?.ToString(CultureInfo.InvariantCulture) ?? "-", p.WalPosition ?? "-",
                p.Reachable ? Bytes(p.LagBytes) : "-", p.Upstream ?? "-", p.Reachable ? health : $"down: {p.Error}"));
        }
        console.Write(table);
        if (view.CoordinatorPeers is { Count: > 0 } here) console.WriteLine($"coordinator: runs on the host of {string.Join(", ", here)}");
        if (view.LastRefusal is { } r) console.WriteLine($"coordinator: {r.Reason}: {r.Detail}");
        foreach (var (id, tags) in view.Tags ?? new Dictionary<string, IReadOnlyList<string>>())
            console.WriteLine($"tags: {id}: {string.Join(", ", tags)}");
        foreach (var p in view.Peers.Where(p => p.PendingRestart is { Count: > 0 }))
            console.WriteLine($"pending restart: {p.Id} ({string.Join(", ", p.PendingRestart!)}); run 'appliance restart --pending'");
        if (view.Backups is { } b) console.WriteLine(BackupLine(b));
        foreach (var problem in Verify.Problems(view)) console.WriteLine($"warning: {problem}");
    }

    /// <summary>One line on the cluster's backups: the newest, its age, a running one, and the schedule.</summary>
    public static string BackupLine(BackupStateDto b) =>
        "backups: " + (b.LastLabel is null ? "none in the repository" : $"newest {b.LastType} {b.LastLabel}, ended {Appliance.Nodes.Backup.BackupHealth.Age(TimeSpan.FromSeconds(b.LastAgeSeconds ?? 0))} ago")
        + (b.RunningPercent is { } r ? $"; one running ({r.ToString("0", CultureInfo.InvariantCulture)} %)" : "")
        + (b.Schedule is { } s ? $"; schedule {s}" : "; no schedule") + $" (taken on {b.ReportedBy}'s node)";

    /// <summary>The topology as one line per peer: primary → sync → asyncs, with lag.</summary>
    public static IEnumerable<string> Topology(ClusterViewDto view)
    {
        if (view.State is not { } state) yield break;
        var peers = view.Peers.ToDictionary(p => p.Id);
        var chain = new[] { state.Primary, state.Sync }.Concat(state.Async).OfType<PeerDto>().ToList();
        for (var i = 0; i < chain.Count; i++)
        {
            var p = peers.GetValueOrDefault(chain[i].Id);
            var role = i == 0 ? (state.StandbyOf is null ? "primary" : "standby leader") : i == 1 ? "sync" : "async";
            var detail = p is null ? "?" : !p.Reachable ? "PostgreSQL down"
                : i == 0 ? (p.ReadWrite ? $"read-write, WAL {p.WalPosition}" : $"read-only, WAL {p.WalPosition}")
                : $"lag {Bytes(p.LagBytes)}, WAL {p.WalPosition}";
            yield return $"{new string(' ', i * 2)}{(i == 0 ? "" : "└─ ")}{chain[i].Id} {role} ({detail})";
        }
        foreach (var d in state.Deposed) yield return $"{d.Id} deposed";
    }

    /// <summary><c>history</c>: generation, version, time, primary, sync, asyncs, deposed, frozen, write outage, reason.</summary>
    public static void History(IAnsiConsole console, IReadOnlyList<HistoryEntryDto> entries)
    {
        var table = new Table().Border(TableBorder.Rounded)
            .AddColumns("GENERATION", "VERSION", "TIME", "PRIMARY", "SYNC", "ASYNCS", "DEPOSED", "FROZEN", "OUTAGE", "REASON");
        foreach (var e in entries)
            table.AddRow(Cells(e.Generation.ToString(CultureInfo.InvariantCulture), e.Version.ToString(CultureInfo.InvariantCulture),
                e.At.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) + "Z",
                e.State.Primary?.Id ?? "-", e.State.Sync?.Id ?? "-", Ids(e.State.Async), Ids(e.State.Deposed),
                e.State.Freeze is null ? "no" : "yes", Outage(e.WriteOutage), $"{e.Reason}: {e.Detail}"));
        console.Write(table);
    }

    /// <summary>A measured write outage in seconds, <c>&gt;=</c> before a lower bound; <c>-</c> when none was measured.</summary>
    public static string Outage(WriteOutageDto? outage) =>
        outage is null ? "-" : (outage.LowerBound ? ">=" : "") + (outage.Ms / 1000.0).ToString("0.000", CultureInfo.InvariantCulture) + " s";

    private static string Ids(IEnumerable<PeerDto> peers) => peers.Any() ? string.Join(",", peers.Select(p => p.Id)) : "-";

    private static IRenderable[] Cells(params string[] texts) => [.. texts.Select(t => (IRenderable)new Text(t))];
}
