using Xunit.Abstractions;

namespace Appliance.Chaos.Tests;

[Trait("Category", "Chaos")]
public sealed class PauseSpecs(ITestOutputHelper output) : ScheduleSpec(output)
{
    [Fact]
    public Task SIGSTOP_of_the_primary_host_and_postmaster_shorter_and_longer_than_failure_detection() =>
        RunScheduleAsync(
            F(Nemesis.PausePrimaryHostShort),
            F(Nemesis.PausePrimaryPostmasterShort),
            F(Nemesis.PausePrimaryHostLong),
            F(Nemesis.PausePrimaryPostmasterLong));
}
