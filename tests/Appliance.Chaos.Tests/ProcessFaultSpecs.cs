using Xunit.Abstractions;

namespace Appliance.Chaos.Tests;

[Trait("Category", "Chaos")]
public sealed class ProcessFaultSpecs(ITestOutputHelper output) : ScheduleSpec(output)
{
    [Fact]
    public Task Kill_minus_9_of_hosts_and_postmasters_loses_no_acknowledged_write_and_the_cluster_heals() =>
        RunScheduleAsync(
            F(Nemesis.KillPrimaryHost),
            F(Nemesis.KillPrimaryPostmaster),
            F(Nemesis.KillSyncHost),
            F(Nemesis.KillAsyncPostmaster),
            F(Nemesis.CrashPrimaryAndAsync, 4));
}
