using System.Net.Http.Json;
using System.Text.Json;
using Appliance.Host.Api;
using Appliance.Host.Api.Json;

namespace Appliance.Host.Tests.Processes;

/// <summary>
/// Issue 15 parts 3–5 with real node processes: maintenance, the <c>nofailover</c> and <c>noloadbalance</c> tags, the
/// <c>--on-role-change</c> hook, and the forced failover after primary and sync are both lost.
/// </summary>
[Trait("Category", "Cluster")]
public sealed class OperationsProcessTests
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(120);

    private static Task<(int Code, string Out, string Err)> Cli(TestNode via, params string[] args) =>
        NodeClusterFixture.CliAsync([.. args, "--endpoint", via.Url]);

    private static async Task<StateDto> StateAsync(NodeClusterFixture cluster, TestNode via) => (await cluster.ClusterAsync(via)).State!;

    /// <summary>Waits until <paramref name="condition"/> holds; a node that does not answer yet counts as "not yet".</summary>
    private static Task Until(Func<Task<bool>> condition, Func<string> what) => Eventually.TrueAsync(async () =>
    {
        try { return await condition(); }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or System.Text.Json.JsonException) { return false; }
    }, what, Long);

    private static async Task<TestNode> PrimaryAsync(NodeClusterFixture cluster)
    {
        TestNode? primary = null;
        await Until(async () => (primary = await cluster.PrimaryAsync()) is not null, () => "a primary takes writes" + cluster.Logs());
        return primary!;
    }

    [Fact]
    public async Task Maintenance_leaves_PostgreSQL_to_the_operator_and_nofailover_keeps_a_tagged_node_from_becoming_sync()
    {
        var cluster = new NodeClusterFixture();
        try
        {
            await cluster.InitializeAsync();
            var hookLog = Path.Combine(cluster.Dir, "hook.log");
            var hook = Path.Combine(cluster.Dir, "hook.sh");
            NodeClusterFixture.PrivateFile(hook, $"#!/bin/sh\necho \"$1 $2 $3 $APPLIANCE_PEER\" >> {hookLog}\n");
            if (OperatingSystem.IsLinux()) File.SetUnixFileMode(hook, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            var n4 = cluster.AddNode("n4", "--tag", "nofailover,noloadbalance", "--on-role-change", hook);
            var primary = await PrimaryAsync(cluster);

            // n4 joins the chain as an async; its hook runs with new role, old role and generation.
            await Until(async () => (await StateAsync(cluster, primary)).Async.Any(a => a.Id == "n4") && (await cluster.StatusAsync(n4)).Streaming,
                () => "n4 streams as an async" + cluster.Logs());
            var generation = (await StateAsync(cluster, primary)).Generation;
            await Until(() => Task.FromResult(File.Exists(hookLog) && File.ReadAllText(hookLog).Contains($"async unassigned {generation} n4")),
                () => $"the hook ran for n4 (log: {(File.Exists(hookLog) ? File.ReadAllText(hookLog) : "none")})" + cluster.Logs());
            var n4Status = await cluster.StatusAsync(n4);
            Assert.Equal(["nofailover", "noloadbalance"], n4Status.Tags!);
            var status = await Cli(primary, "status");
            Assert.True(status.Code == 0 && status.Out.Contains("tags: n4: nofailover, noloadbalance"), status.Out + status.Err);
            using (var replica = await cluster.Http.GetAsync(n4.Url + "/replica"))
                Assert.Equal(503, (int)replica.StatusCode);   // noloadbalance, although it streams

            // Maintenance on the primary or the sync is refused with the way out.
            var sync = await cluster.NodeInRoleAsync("sync");
            var refused = await Cli(primary, "maintenance", "on", sync.Name);
            Assert.True(refused.Code == 1, refused.Out + refused.Err);
            Assert.Contains("SwitchoverFirst", refused.Err);

            // Maintenance on the other async (node default: the endpoint's own node).
            var other = cluster.Nodes.Single(n => n.Name != "n4" && n != primary && n != sync);
            var on = await Cli(other, "maintenance", "on");
            Assert.True(on.Code == 0, on.Out + on.Err);
            var state = await StateAsync(cluster, primary);
            Assert.Equal([other.Name], state.Maintenance!);
            Assert.DoesNotContain(state.Async, a => a.Id == other.Name);
            await Until(async () => (await cluster.StatusAsync(other)) is { Maintenance: true, Role: "maintenance" },
                () => $"{other.Name} applies maintenance" + cluster.Logs());

            // The operator stops its PostgreSQL by hand (a fast shutdown of the postmaster); nothing restarts it.
            var postmaster = (await cluster.StatusAsync(other)).PostmasterPid!.Value;
            using (var stop = System.Diagnostics.Process.Start("kill", ["-INT", $"{postmaster}"]))   // pg_ctl stop -m fast does the same
                await stop.WaitForExitAsync();
            await Until(async () => !(await cluster.StatusAsync(other)).PostgresRunning,
                () => $"{other.Name}'s PostgreSQL is down" + cluster.Logs());
            for (var deadline = DateTime.UtcNow.AddSeconds(5); DateTime.UtcNow < deadline; await Task.Delay(250))
                Assert.False((await cluster.StatusAsync(other)).PostgresRunning, $"{other.Name}'s PostgreSQL was started again during maintenance");

            // The sync is lost. The only async is tagged nofailover and the other peer is in maintenance, so the
            // cluster takes neither as its sync: it waits, and says why.
            sync.Process!.Signal(9);
            await Until(async () => (await cluster.ClusterAsync(primary)).LastRefusal?.Reason == "NoAsyncAvailable",
                () => "the coordinator finds no candidate for the sync" + cluster.Logs());
            Assert.Equal(sync.Name, (await StateAsync(cluster, primary)).Sync!.Id);

            // Maintenance off: the node starts its PostgreSQL again and becomes the new sync; writes flow.
            var off = await Cli(primary, "maintenance", "off", other.Name);
            Assert.True(off.Code == 0, off.Out + off.Err);
            await Until(async () => (await StateAsync(cluster, primary)).Sync?.Id == other.Name && await cluster.PrimaryAsync() == primary,
                () => $"{other.Name} becomes the sync and the primary takes writes" + cluster.Logs());
            await NodeClusterFixture.WriteAsync(primary);
            Assert.True((await cluster.StatusAsync(other)).PostgresRunning);

            var history = await cluster.Http.GetFromJsonAsync<List<HistoryEntryDto>>(primary.Url + "/history", ApiJson.Options);
            Assert.Contains(history!, e => e.Reason == "MaintenanceOn");
            Assert.Contains(history!, e => e.Reason == "MaintenanceOff");
            Assert.DoesNotContain(history!, e => e.State.Primary?.Id == "n4" || e.State.Sync?.Id == "n4");
        }
        finally
        {
            await cluster.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_forced_failover_after_losing_primary_and_sync_gives_up_the_positions_it_records()
    {
        var cluster = new NodeClusterFixture();
        try
        {
            await cluster.InitializeAsync();
            // Five nodes, so that the three left after losing two still hold a majority.
            cluster.AddNode("n4");
            cluster.AddNode("n5");
            var primary = await PrimaryAsync(cluster);
            await Until(async () => (await StateAsync(cluster, primary)).Async.Count == 3 && (await cluster.ClusterAsync(primary)).Peers.All(p => p.Reachable),
                () => "five nodes in the chain" + cluster.Logs());
            for (var i = 0; i < 5; i++) await NodeClusterFixture.WriteAsync(primary);

            var before = await StateAsync(cluster, primary);
            var sync = cluster.Nodes.Single(n => n.Name == before.Sync!.Id);
            // Not async[0]: initial setup puts the coordinator's own node there, and the rules would soon move the
            // primary off the coordinator's host again.
            var target = cluster.Nodes.Single(n => n.Name == before.Async[1].Id);
            primary.Process!.Signal(9);
            sync.Process!.Signal(9);
            await Until(async () => (await cluster.ClusterAsync(target)).LastRefusal?.Reason == "PrimaryAndSyncLost",
                () => "the cluster waits for the lost primary and sync" + cluster.Logs());

            var refused = await Cli(target, "failover", "--to", target.Name);
            Assert.True(refused.Code == 1, refused.Out + refused.Err);
            Assert.Contains("DataLossNotAccepted", refused.Err);

            // Accepted once the hold-down since the lost peers' last reports has passed.
            (int Code, string Out, string Err) accepted = (0, "", "");
            await Eventually.TrueAsync(async () =>
            {
                accepted = await Cli(target, "failover", "--to", target.Name, "--accept-data-loss", "--json");
                return accepted.Code == 0;
            }, () => $"the forced failover is accepted (last answer: {accepted.Out}{accepted.Err})" + cluster.Logs(), Long);
            var result = JsonSerializer.Deserialize<CommandResultDto>(accepted.Out, ApiJson.Options)!;
            Assert.Equal("ForcedFailover", result.Reason);
            Assert.Equal(target.Name, result.State!.Primary!.Id);
            Assert.Equal(before.Generation + 1, result.State.Generation);
            Assert.Equal(new[] { primary.Name, sync.Name }.Order(), result.State.Deposed.Select(d => d.Id).Order());

            await Eventually.TrueAsync(async () => await cluster.PrimaryAsync() == target, () => $"{target.Name} takes writes" + cluster.Logs(), Long);
            await NodeClusterFixture.WriteAsync(target);

            var history = await Cli(target, "history", "--json");
            Assert.True(history.Code == 0, history.Err);
            var entry = JsonSerializer.Deserialize<List<HistoryEntryDto>>(history.Out, ApiJson.Options)!.Single(e => e.Reason == "ForcedFailover");
            Assert.Contains($"initWal {before.InitWal}", entry.Detail);
            Assert.Contains($"primary {primary.Name} last reported", entry.Detail);
            Assert.Contains($"sync {sync.Name} last reported", entry.Detail);
            Assert.Contains($"{target.Name} became primary at {result.State.InitWal}", entry.Detail);
        }
        finally
        {
            await cluster.DisposeAsync();
        }
    }
}
