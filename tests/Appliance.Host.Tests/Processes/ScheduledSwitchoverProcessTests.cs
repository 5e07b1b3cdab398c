using System.Net.Http.Json;
using System.Text.Json;
using Appliance.Host.Api;
using Appliance.Host.Api.Json;
using Xunit.Abstractions;

namespace Appliance.Host.Tests.Processes;

/// <summary>
/// Issue 15's scheduled switchover with real node processes: <c>appliance switchover --at</c> happens at its time and
/// not before, and <c>--cancel</c> keeps it from happening at all. Tests run in name order on one cluster: the
/// cancelled schedule first, since it must leave the roles as they were.
/// </summary>
[Trait("Category", "Cluster")]
[TestCaseOrderer("Appliance.Testing.Processes.ByName", "Appliance.Testing.Processes")]
public sealed class ScheduledSwitchoverProcessTests(NodeClusterFixture cluster, ITestOutputHelper output) : IClassFixture<NodeClusterFixture>
{
    /// <summary>
    /// How long after its time a due switchover may take: the coordinator evaluates every 0.5 s, and the switchover
    /// then raises its fence and writes; measured well under a second here, the rest is room for a loaded 2-core machine.
    /// </summary>
    private static readonly TimeSpan Slack = TimeSpan.FromSeconds(10);

    private TestNode Via => cluster.Nodes[1];

    private async Task<StateDto> StateAsync() => (await cluster.Http.GetFromJsonAsync<StateDto>(Via.Url + "/state", ApiJson.Options))!;

    private async Task<List<HistoryEntryDto>> HistorySinceAsync(long version) =>
        (await cluster.Http.GetFromJsonAsync<List<HistoryEntryDto>>($"{Via.Url}/history?since={version}", ApiJson.Options))!;

    /// <summary>Runs <c>appliance switchover ARGS --json</c> against <see cref="Via"/> and returns the accepted result.</summary>
    private async Task<CommandResultDto> SwitchoverAsync(params string[] args)
    {
        var (code, stdout, stderr) = await NodeClusterFixture.CliAsync(["switchover", .. args, "--json", "--endpoint", Via.Url]);
        Assert.True(code == 0, stdout + stderr);
        var result = JsonSerializer.Deserialize<CommandResultDto>(stdout, ApiJson.Options)!;
        output.WriteLine($"{DateTimeOffset.UtcNow:HH:mm:ss.fff} switchover {string.Join(" ", args)}: {result.Reason}: {result.Detail}");
        return result;
    }

    /// <summary>Once the cluster is healthy, schedules a switchover to the sync <paramref name="when"/>; returns the state before and the time it is due.</summary>
    private async Task<(StateDto Before, DateTimeOffset At)> ScheduleAsync(string when)
    {
        await cluster.WaitHealthyAsync();
        var before = await StateAsync();
        var scheduled = await SwitchoverAsync("--at", when);
        Assert.Equal("SwitchoverScheduled", scheduled.Reason);
        Assert.Equal((before.Generation, before.Primary!.Id), (scheduled.State!.Generation, scheduled.State.Primary!.Id));
        return (before, scheduled.State.ScheduledSwitchover!.At);
    }

    /// <summary>Asserts, every quarter second until <paramref name="until"/>, that the state keeps <paramref name="before"/>'s generation and primary.</summary>
    private async Task KeepsRolesUntilAsync(StateDto before, DateTimeOffset until, string why)
    {
        for (; DateTimeOffset.UtcNow < until; await Task.Delay(250))
        {
            var now = await StateAsync();
            Assert.True(now.Generation == before.Generation && now.Primary!.Id == before.Primary!.Id,
                $"{why}, but at {DateTimeOffset.UtcNow:HH:mm:ss.fff} the state is generation {now.Generation}, primary {now.Primary!.Id}" + cluster.Logs());
        }
    }

    [Fact]
    public async Task S1_a_cancelled_schedule_never_switches_over()
    {
        // Far enough ahead that the cancel, a second CLI process, surely comes first on a loaded machine.
        var (before, at) = await ScheduleAsync("+15s");
        var status = await NodeClusterFixture.CliAsync("status", "--endpoint", cluster.Nodes[0].Url);
        Assert.Contains($"switchover to the sync scheduled for {at.ToUniversalTime():yyyy-MM-dd HH:mm:ss}Z", status.Out);

        var cancelled = await SwitchoverAsync("--cancel");
        Assert.Equal("SwitchoverCancelled", cancelled.Reason);
        Assert.Null(cancelled.State!.ScheduledSwitchover);
        Assert.True(DateTimeOffset.UtcNow < at, $"the cancel came only after the time it was scheduled for ({at:HH:mm:ss.fff}); the test proves nothing");

        // Past the time it was due, and several evaluations more, nothing moved.
        await KeepsRolesUntilAsync(before, at + TimeSpan.FromSeconds(3), "the switchover was cancelled");
        Assert.Equal(["SwitchoverScheduled", "SwitchoverCancelled"], (await HistorySinceAsync(before.Version)).Select(e => e.Reason));
        var again = await NodeClusterFixture.CliAsync("switchover", "--cancel", "--endpoint", Via.Url);
        Assert.True(again.Code == 1 && again.Err.Contains("No switchover is scheduled"), again.Out + again.Err);
    }

    [Fact]
    public async Task S2_a_scheduled_switchover_happens_at_its_time_and_not_before()
    {
        var (before, at) = await ScheduleAsync("+8s");

        // Not before: until its time the roles stay.
        await KeepsRolesUntilAsync(before, at - TimeSpan.FromSeconds(0.5), "the switchover is not due yet");

        // At its time: the sync becomes the primary and takes writes.
        var sync = cluster.Nodes.Single(n => n.Name == before.Sync!.Id);
        await Eventually.TrueAsync(async () => await cluster.PrimaryAsync() == sync, () => $"{sync.Name} takes writes" + cluster.Logs(), TimeSpan.FromSeconds(60));
        await NodeClusterFixture.WriteAsync(sync);
        var history = await HistorySinceAsync(before.Version);
        output.WriteLine(string.Join("\n", history.Select(e => $"v{e.Version} {e.At:HH:mm:ss.fff} {e.Reason}: {e.Detail}")));
        Assert.Equal("SwitchoverScheduled", history[0].Reason);
        var done = history[1];
        Assert.Equal("Switchover", done.Reason);
        Assert.StartsWith("Scheduled (for", done.Detail);
        Assert.Equal((before.Generation + 1, sync.Name), (done.Generation, done.State.Primary!.Id));
        Assert.Null(done.State.ScheduledSwitchover);
        output.WriteLine($"written {(done.At - at).TotalSeconds:0.00} s after its time");
        Assert.True(done.At >= at, $"written at {done.At:HH:mm:ss.fff}, before its time {at:HH:mm:ss.fff}");
        Assert.True(done.At <= at + Slack, $"written at {done.At:HH:mm:ss.fff}, more than {Slack.TotalSeconds} s after its time {at:HH:mm:ss.fff}");
    }
}
