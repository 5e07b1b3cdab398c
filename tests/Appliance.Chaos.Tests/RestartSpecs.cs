using Xunit.Abstractions;

namespace Appliance.Chaos.Tests;

[Trait("Category", "Chaos")]
public sealed class RestartSpecs(ITestOutputHelper output) : ScheduleSpec(output)
{
    /// <summary>The last fault loses primary and sync: no async may take over, verify must say so, and the cluster heals once they are back.</summary>
    [Fact]
    public Task Whole_cluster_and_rolling_restarts_and_losing_primary_and_sync_together() =>
        RunScheduleAsync(
            F(Nemesis.RestartAll),
            F(Nemesis.RollingRestart),
            F(Nemesis.CrashPrimaryAndSync, 12));
}
