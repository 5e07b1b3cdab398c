using System.Globalization;
using System.Text.RegularExpressions;
using Appliance.Nodes.Postgres;
using Appliance.Nodes.State;

namespace Appliance.Chaos;

/// <summary>
/// What a <see cref="Nemesis.DivergePrimary"/> fault did, as the servers themselves reported it: the old primary's WAL
/// end when it crashed, what its sync had received, and, once the cluster healed, where the new primary's history left
/// the old timeline. The fork is real when the old primary's end lies past that switch point.
/// </summary>
/// <param name="OldPrimary">The primary that was cut from its sync and crashed.</param>
/// <param name="Sync">Its sync, which must take over.</param>
/// <param name="ForkedId">The row committed on the old primary alone, past its sync (negative; no client writes it): no node may hold it after the heal.</param>
/// <param name="OldEnd">The old primary's WAL end just before the crash (a lower bound of what its disk holds); null if it could not be read.</param>
/// <param name="SyncReceived">What the sync had received once the old primary was down; null if it could not be read.</param>
/// <param name="NotForked">Why the harness could not make the primary write past its sync, when it could not.</param>
/// <param name="Successor">The node the state named primary while the old one was held down; null if none within the deadline.</param>
/// <param name="RestartMark">Where the old primary's log stood when it was started again (a mark of <see cref="ChaosNode.Log"/>).</param>
public sealed record Divergence(string OldPrimary, string Sync, long ForkedId, WalEnd? OldEnd, Lsn? SyncReceived, string? NotForked,
    string? Successor, long RestartMark)
{
    /// <summary>The primary once the cluster had healed.</summary>
    public string? NewPrimary { get; init; }

    /// <summary>The healed primary's timeline history, read from its <c>pg_wal</c>.</summary>
    public TimelineHistory? NewHistory { get; init; }

    /// <summary>Where every node's PostgreSQL log (<see cref="ChaosNode.ServerLog"/>) stood when the cluster had healed.</summary>
    public IReadOnlyDictionary<string, long> HealedMarks { get; init; } = new Dictionary<string, long>();

    /// <summary>Where the new primary's history left the old primary's timeline; null if it never did (no promotion).</summary>
    public Lsn? SwitchPoint =>
        OldEnd is { } end ? NewHistory?.Past.Where(s => s.Timeline == end.Timeline).Select(s => (Lsn?)s.SwitchPoint).FirstOrDefault() : null;

    /// <summary>The old primary held WAL past the point where the new primary's history left its timeline.</summary>
    public bool Forked => NotForked is null && OldEnd is { } end && SwitchPoint is { } at && end.Flushed > at;

    /// <summary>Why this is (or is not) a divergence, with the positions.</summary>
    public string Why =>
        NotForked is { } why ? $"no divergence: {why}"
        : OldEnd is null ? $"no divergence: {OldPrimary}'s WAL end was not read before the crash"
        : SwitchPoint is not { } at ? $"no divergence: the healed primary {NewPrimary}'s history {NewHistory} never left {OldPrimary}'s timeline {OldEnd.Timeline}"
        : Forked ? $"{OldPrimary}'s WAL ended at {OldEnd}, {OldEnd.Flushed - at} bytes past where {NewPrimary}'s history {NewHistory} left timeline {OldEnd.Timeline} ({at}); {Sync} had received {Text(SyncReceived)}"
        : $"no divergence: {OldPrimary}'s WAL ended at {OldEnd}, not past where {NewPrimary}'s history {NewHistory} left it ({at})";

    /// <inheritdoc/>
    public override string ToString() => Why;

    private static string Text(Lsn? lsn) => lsn?.ToString() ?? "(unknown)";
}

/// <summary>
/// The checks of a schedule of <see cref="Nemesis.DivergePrimary"/> faults, beyond the standard ones: the fork was
/// real, the sync took over, the old primary came back through pg_rewind (or a clone), PostgreSQL never met forked WAL
/// after the heal, and in the end no node holds a row committed past a fork and every standby streams the primary's
/// history with the primary's rows.
/// </summary>
public static class DivergenceChecks
{
    /// <summary>
    /// What PostgreSQL logs when forked WAL meets a history: a standby whose WAL goes past where its upstream's new
    /// timeline forked off its own, and an upstream asked to stream a timeline its history does not have.
    /// </summary>
    public static readonly IReadOnlyList<string> ForkSigns = ["forked off current database system timeline", "is not a child of this server's history"];

    /// <summary>How long a standby may take, once the clients have stopped, to stream the primary's history and replay its end.</summary>
    public static readonly TimeSpan CatchUpTimeout = TimeSpan.FromSeconds(120);

    /// <summary>What is wrong with <paramref name="d"/>'s fault, once the cluster healed; empty when nothing is.</summary>
    public static IReadOnlyList<string> Problems(ChaosCluster cluster, Divergence d)
    {
        var problems = new List<string>();
        if (!d.Forked) problems.Add($"the WAL divergence did not happen ({d.Why})");
        if (d.Successor != d.Sync)
            problems.Add($"the sync {d.Sync} did not take over from {d.OldPrimary}: the state named {d.Successor ?? "no other primary"}");
        var old = cluster.Nodes.First(n => n.Name == d.OldPrimary);
        switch (RejoinLog.First(old.Log.Since(d.RestartMark)))
        {
            case null:
                problems.Add($"{d.OldPrimary}'s log shows no rejoin after its restart");
                break;
            case RejoinMethod.AlreadyOnHistory:
                problems.Add($"{d.OldPrimary} rejoined as 'already on the history', without a rewind, although its WAL had forked ({d.Why})");
                break;
        }
        foreach (var n in cluster.Nodes)
        {
            var sign = n.ServerLog.Since(d.HealedMarks.GetValueOrDefault(n.Name)).FirstOrDefault(l => ForkSigns.Any(f => l.Contains(f, StringComparison.Ordinal)));
            if (sign is not null) problems.Add($"{n.Name}'s PostgreSQL logged after the heal: {sign.Trim()}");
        }
        return problems;
    }

    /// <summary>
    /// With the clients stopped: the primary holds none of the rows committed on a primary alone past its sync, and
    /// every standby streams on the primary's timeline, holds the same history file, and has replayed the primary's
    /// end, with the primary's rows. A standby admitted with forked WAL could do none of that. Waits at most
    /// <see cref="CatchUpTimeout"/> for each standby; empty when all holds.
    /// </summary>
    public static async Task<IReadOnlyList<string>> EndStateProblemsAsync(ChaosCluster cluster)
    {
        var problems = new List<string>();
        var primary = await cluster.NodeInRoleAsync("primary") ?? throw new ChaosCheckException("no primary in the healed state");
        TimelineHistory history;
        WalEnd end;
        string rows;
        try
        {
            await using var c = await WalProbe.OpenAsync(primary);
            end = await WalProbe.EndAsync(c);
            history = await WalProbe.HistoryAsync(c, end.Timeline) ?? throw new ChaosCheckException($"{primary.Name} has no history file for its timeline {end.Timeline}");
            rows = await WalProbe.RowsAsync(c);
            var forked = await WalProbe.ForkedIdsAsync(c);
            if (forked.Count > 0) problems.Add($"the primary {primary.Name} holds rows committed on a former primary past its sync: ids {string.Join(",", forked)}");
        }
        catch (Exception e) when (e is Npgsql.NpgsqlException or TimeoutException or IOException)
        {
            throw new ChaosCheckException($"the healed primary {primary.Name} does not answer: {e.Message}");
        }
        cluster.History.Log($"primary {primary.Name} on {history}, at {end}: {rows}");
        foreach (var n in cluster.Nodes.Where(n => n != primary))
        {
            var deadline = cluster.History.Now + CatchUpTimeout;
            string? wrong;
            while ((wrong = await StandbyWrongAsync(n, history, end)) is not null && cluster.History.Now < deadline)
                await Task.Delay(250);
            if (wrong is not null)
            {
                problems.Add($"{n.Name}, after {CatchUpTimeout.TotalSeconds:0} s: {wrong}");
                continue;
            }
            await using var c = await WalProbe.OpenAsync(n);
            var own = await WalProbe.RowsAsync(c);
            cluster.History.Log($"standby {n.Name} streams {history} and has replayed {end.Flushed}: {own}");
            if (own != rows) problems.Add($"{n.Name} has replayed {primary.Name}'s end {end.Flushed} on {history} but holds {own}, the primary {rows}");
        }
        return problems;
    }

    // Null when n streams history's timeline, holds the same history file, and has replayed end; otherwise what it does.
    private static async Task<string?> StandbyWrongAsync(ChaosNode n, TimelineHistory history, WalEnd end)
    {
        try
        {
            await using var c = await WalProbe.OpenAsync(n);
            var receiver = await WalProbe.ReceiverAsync(c);
            if (receiver.Status != "streaming" || receiver.Timeline != history.Timeline)
                return $"its WAL receiver is {receiver.Status ?? "not running"} on timeline {receiver.Timeline?.ToString(CultureInfo.InvariantCulture) ?? "-"}, the primary is on {history.Timeline}";
            var own = await WalProbe.HistoryAsync(c, history.Timeline);
            if (own != history) return $"its history of timeline {history.Timeline} is {own?.ToString() ?? "missing"}, the primary's {history}";
            return receiver.Replayed >= end.Flushed ? null : $"it has replayed up to {receiver.Replayed}, the primary flushed {end.Flushed}";
        }
        catch (Exception e) when (e is Npgsql.NpgsqlException or TimeoutException or IOException)
        {
            return $"its PostgreSQL does not answer: {e.Message}";
        }
    }
}

/// <summary>How a node says, in its log, that it brought a former primary (or a forked standby) back onto its upstream's history.</summary>
public static partial class RejoinLog
{
    /// <summary>The first rejoin the lines report, or null if none does.</summary>
    /// <remarks>
    /// The node logs one of: "… (Rewound); ready to rejoin" (a deposed peer, DatabaseNodeActor), "… was a primary and
    /// now follows X: rewound onto / cloned afresh from / already on …" (StandbyRole), "…; rewinding; Rewound" (a
    /// forked standby, StandbyRole).
    /// </remarks>
    public static RejoinMethod? First(IEnumerable<string> lines)
    {
        foreach (var line in lines)
        {
            var m = Said().Match(line);
            if (!m.Success) continue;
            var word = m.Groups["method"].Success ? m.Groups["method"].Value : m.Groups["phrase"].Value;
            return word switch
            {
                "Rewound" or "rewound onto" => RejoinMethod.Rewound,
                "Cloned" or "cloned afresh from" => RejoinMethod.Cloned,
                _ => RejoinMethod.AlreadyOnHistory,
            };
        }
        return null;
    }

    [GeneratedRegex(@"\((?<method>Rewound|Cloned|AlreadyOnHistory)\); ready to rejoin|was a primary and now follows \S+: (?<phrase>rewound onto|cloned afresh from|already on)|; rewinding; (?<method>Rewound|Cloned|AlreadyOnHistory)")]
    private static partial Regex Said();
}
