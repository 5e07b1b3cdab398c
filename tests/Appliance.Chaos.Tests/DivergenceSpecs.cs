using Xunit.Abstractions;

namespace Appliance.Chaos.Tests;

/// <summary>
/// Reaches, on purpose, the WAL divergence a past CI run found by luck (a deposed primary whose WAL had forked off the
/// new primary's timeline, admitted without a rewind; docs/CHAOS.md, "Found so far"): twice, the primary is cut from
/// its sync until it holds WAL the sync never received and crashes with it, so the sync takes over below the old
/// primary's end. Beyond the standard checks: the fork was real, the old primary came back through pg_rewind (or a
/// clone), PostgreSQL never refused a forked history after the heal, the rows committed past the fork are gone, and
/// every standby ends on the primary's history with the primary's rows.
/// </summary>
[Trait("Category", "Chaos")]
public sealed class DivergenceSpecs(ITestOutputHelper output) : ScheduleSpec(output)
{
    [Fact]
    public Task A_primary_that_crashed_with_WAL_its_sync_never_received_comes_back_through_a_rewind_not_with_its_forked_WAL() =>
        RunScheduleAsync(CheckDivergencesAsync, F(Nemesis.DivergePrimary), F(Nemesis.DivergePrimary));

    private static async Task CheckDivergencesAsync(ChaosRun run)
    {
        var problems = new List<string>();
        foreach (var d in run.Faults.Select(f => f.Divergence).OfType<Divergence>())
        {
            var old = run.Cluster.Nodes.First(n => n.Name == d.OldPrimary);
            run.History.Log($"divergence: {d}; {d.OldPrimary} rejoined: {RejoinLog.First(old.Log.Since(d.RestartMark))?.ToString() ?? "(nothing logged)"}");
            problems.AddRange(DivergenceChecks.Problems(run.Cluster, d).Select(p => $"{d.OldPrimary} diverged from {d.Sync}: {p}"));
        }
        problems.AddRange(await DivergenceChecks.EndStateProblemsAsync(run.Cluster));
        if (problems.Count > 0) throw new ChaosCheckException(string.Join("\n", problems));
    }
}
