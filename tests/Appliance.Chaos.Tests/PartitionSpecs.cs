using Xunit.Abstractions;

namespace Appliance.Chaos.Tests;

[Trait("Category", "Chaos")]
public sealed class PartitionSpecs(ITestOutputHelper output) : ScheduleSpec(output)
{
    [Fact]
    public Task Isolating_the_primary_the_sync_and_the_coordinator_and_an_asymmetric_cut_never_give_two_primaries() =>
        RunScheduleAsync(
            F(Nemesis.IsolatePrimary, 8),
            F(Nemesis.IsolateSync, 8),
            F(Nemesis.IsolateCoordinator, 8),
            F(Nemesis.AsymmetricPrimary, 8));
}
