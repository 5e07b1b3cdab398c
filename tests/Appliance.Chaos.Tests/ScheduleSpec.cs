using Xunit.Abstractions;

namespace Appliance.Chaos.Tests;

/// <summary>
/// Runs a fixed nemesis schedule against a fresh 3-node cluster of real node processes and asserts every check of
/// docs/CHAOS.md. The seed (CHAOS_SEED to replay) is in the output and in every failure message; on failure the run
/// directory with every node's log is kept under /tmp/appliance-chaos.
/// </summary>
public abstract class ScheduleSpec(ITestOutputHelper output)
{
    protected Task RunScheduleAsync(params Fault[] schedule) => RunScheduleAsync(_ => Task.CompletedTask, schedule);

    /// <summary>Runs <paramref name="schedule"/>, the standard checks, then <paramref name="afterwards"/>: the schedule's own checks, which throw <see cref="ChaosCheckException"/>.</summary>
    protected async Task RunScheduleAsync(Func<ChaosRun, Task> afterwards, params Fault[] schedule)
    {
        var seed = ChaosRun.SeedFromEnvironment();
        ChaosRun started;
        try { started = await ChaosRun.StartAsync(3, seed, Echo); }
        catch (ChaosCheckException e) { throw new ChaosCheckException($"seed {seed} (CHAOS_SEED={seed}), bootstrap: {e.Message}"); }
        await using var run = started;
        try
        {
            foreach (var fault in schedule) await run.InjectAsync(fault);
            var check = await run.FinishAsync();
            Echo(run.Report(check));
            Assert.True(check.Ok, $"seed {seed} (CHAOS_SEED={seed}), run directory {run.Cluster.Dir}: {check}");
            await afterwards(run);
        }
        catch (ChaosCheckException e)
        {
            run.Cluster.KeepDirectory = true;
            throw new ChaosCheckException($"seed {seed} (CHAOS_SEED={seed}), run directory {run.Cluster.Dir} kept: {e.Message}\n{run.Report(null)}");
        }
    }

    // Background loops may still log after the test has ended; xunit refuses output then.
    private void Echo(string line)
    {
        try { output.WriteLine(line); }
        catch (InvalidOperationException) { }
    }

    protected static Fault F(Nemesis nemesis, double seconds = 3) => new(nemesis, TimeSpan.FromSeconds(seconds));
}
