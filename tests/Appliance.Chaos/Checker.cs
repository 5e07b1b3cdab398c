using Npgsql;

namespace Appliance.Chaos;

/// <summary>Two nodes seen taking writes at the same moment.</summary>
/// <param name="First">The node seen writable before and after.</param>
/// <param name="Before">First's writable sample just before.</param>
/// <param name="After">First's next writable sample, from the same observer.</param>
/// <param name="Other">Another node's writable sample strictly between the two.</param>
public sealed record DoublePrimary(string First, WritableSample Before, WritableSample After, WritableSample Other)
{
    /// <inheritdoc/>
    public override string ToString() =>
        $"{First} writable by {Before.Observer} in [{Before.Start.TotalSeconds:0.000}, {Before.End.TotalSeconds:0.000}] and " +
        $"[{After.Start.TotalSeconds:0.000}, {After.End.TotalSeconds:0.000}] s with nothing else seen between, while {Other.Node} " +
        $"was writable to {Other.Observer} in [{Other.Start.TotalSeconds:0.000}, {Other.End.TotalSeconds:0.000}] s";
}

/// <summary>What the checks found.</summary>
public sealed record CheckResult(
    int Acknowledged, int Failed, int Indeterminate, int IndeterminatePresent,
    IReadOnlyList<long> Lost, IReadOnlyList<long> FailedButPresent, IReadOnlyList<DoublePrimary> DoublePrimaries, string FinalPrimary)
{
    /// <summary>No acknowledged write lost, no failed write present, never two primaries.</summary>
    public bool Ok => Lost.Count == 0 && FailedButPresent.Count == 0 && DoublePrimaries.Count == 0;

    /// <inheritdoc/>
    public override string ToString() =>
        $"final primary {FinalPrimary}: {Acknowledged} acknowledged, {Failed} failed, {Indeterminate} indeterminate " +
        $"({IndeterminatePresent} of them committed); lost {Lost.Count}{Ids(Lost)}, failed but present {FailedButPresent.Count}{Ids(FailedButPresent)}, " +
        $"double-primary moments {DoublePrimaries.Count}" + string.Concat(DoublePrimaries.Take(5).Select(d => "\n  " + d));

    private static string Ids(IReadOnlyList<long> ids) => ids.Count == 0 ? "" : $" [{string.Join(",", ids.Take(20))}{(ids.Count > 20 ? ",…" : "")}]";
}

/// <summary>The checks run after the cluster has healed.</summary>
public static class Checker
{
    /// <summary>
    /// Reads every id on <paramref name="primary"/> (which must answer /primary 200) and judges each write, then looks
    /// for double primaries in <paramref name="samples"/>.
    /// </summary>
    public static async Task<CheckResult> CheckAsync(ChaosNode primary, IReadOnlyList<WriteRecord> writes, IEnumerable<WritableSample> samples)
    {
        var present = new HashSet<long>();
        await using (var c = new NpgsqlConnection(Workload.ConnectionString(primary)))
        {
            await c.OpenAsync();
            await using var cmd = new NpgsqlCommand("SELECT id FROM chaos", c);
            await using var r = await cmd.ExecuteReaderAsync();
            while (await r.ReadAsync()) present.Add(r.GetInt64(0));
        }
        var acked = writes.Where(w => w.Outcome == Outcome.Acknowledged).ToList();
        var failed = writes.Where(w => w.Outcome == Outcome.Failed).ToList();
        var unknown = writes.Where(w => w.Outcome == Outcome.Indeterminate).ToList();
        return new CheckResult(acked.Count, failed.Count, unknown.Count, unknown.Count(w => present.Contains(w.Id)),
            [.. acked.Where(w => !present.Contains(w.Id)).Select(w => w.Id)],
            [.. failed.Where(w => present.Contains(w.Id)).Select(w => w.Id)],
            DoublePrimaries(samples), primary.Name);
    }

    /// <summary>
    /// "Two nodes accepted writes at once", made precise with one clock: one observer saw node A writable in two
    /// consecutive samples of its own (it looked at nothing else between them, and they are at most
    /// <see cref="MaxGap"/> apart), and node B was seen writable (by anyone) entirely after the first of those samples
    /// ended and before the second began. A's writability at some moment of each sample and B's in between then
    /// overlap, unless A stopped and started taking writes again inside the gap, which needs a failover and a rewind
    /// (far longer than <see cref="MaxGap"/>). Samples that merely overlap in time prove nothing (one node may have
    /// stepped down inside the overlap) and are not counted.
    /// </summary>
    public static IReadOnlyList<DoublePrimary> DoublePrimaries(IEnumerable<WritableSample> samples)
    {
        var all = samples.ToList();
        var positives = all.Where(s => s.Writable).OrderBy(s => s.Start).ToList();
        var starts = positives.Select(s => s.Start).ToArray();
        var found = new List<DoublePrimary>();
        foreach (var sequence in all.GroupBy(s => s.Observer))
        {
            var ordered = sequence.OrderBy(s => s.Start).ToList();
            for (var i = 0; i + 1 < ordered.Count; i++)
            {
                var (before, after) = (ordered[i], ordered[i + 1]);
                if (!before.Writable || !after.Writable || before.Node != after.Node) continue;
                if (after.Start <= before.End || after.Start - before.End > MaxGap) continue;
                var k = Array.BinarySearch(starts, before.End + TimeSpan.FromTicks(1));
                for (k = k < 0 ? ~k : k; k < starts.Length && starts[k] < after.Start; k++)
                {
                    var other = positives[k];
                    if (other.Node == before.Node || other.Start <= before.End || other.End >= after.Start) continue;
                    found.Add(new DoublePrimary(before.Node, before, after, other));
                    break;
                }
            }
        }
        return found;
    }

    /// <summary>Consecutive samples further apart than this are not taken to show continuous writability.</summary>
    public static readonly TimeSpan MaxGap = TimeSpan.FromSeconds(5);
}
