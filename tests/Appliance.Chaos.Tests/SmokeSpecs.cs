using Appliance.Chaos;
using Xunit.Abstractions;

namespace Appliance.Chaos.Tests;

public sealed class SmokeSpecs(ITestOutputHelper output)
{
    [Fact, Trait("Category", "Chaos")]
    public async Task Smoke()
    {
        await using var run = await ChaosRun.StartAsync(3, ChaosRun.SeedFromEnvironment(), output.WriteLine);
        await run.InjectAsync(new Fault(Nemesis.KillPrimaryHost, TimeSpan.FromSeconds(3)));
        var check = await run.FinishAsync();
        output.WriteLine(run.Report(check));
        Assert.True(check.Ok, check.ToString());
    }
}
