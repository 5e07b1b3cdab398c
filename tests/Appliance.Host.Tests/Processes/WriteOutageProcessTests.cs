using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using Appliance.Host.Api;
using Appliance.Host.Api.Json;

namespace Appliance.Host.Tests.Processes;

/// <summary>
/// A failover's write outage, measured by the coordinator from the nodes' reports, is in <c>/history</c> on its
/// takeover entry, and stays there after the coordinator moved to another host: it is read from the outage journal in
/// the state store, not from any process's memory.
/// </summary>
[Trait("Category", "Cluster")]
public sealed class WriteOutageProcessTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(120);

    [Fact]
    public async Task A_failovers_measured_outage_is_in_the_history_and_survives_the_coordinator_moving()
    {
        var cluster = new NodeClusterFixture();
        try
        {
            await cluster.InitializeAsync();
            var primary = (await cluster.PrimaryAsync())!;

            // The primary's host crashes: node and PostgreSQL at once.
            Crash(primary);
            await primary.Process!.WaitAsync(TimeSpan.FromSeconds(30));
            TestNode? promoted = null;
            await Eventually.TrueAsync(async () => (promoted = await cluster.PrimaryAsync()) is not null,
                () => "another node takes writes" + cluster.Logs(), Patience);

            var takeover = await TakeoverWithOutageAsync(cluster, promoted!, primary.Name);
            var outage = takeover.WriteOutage!;
            Assert.Equal("Failover", outage.Kind);
            Assert.InRange(outage.Ms, 1, (long)Patience.TotalMilliseconds);
            Assert.True(outage.EndedAt > outage.StartedAt, $"outage {outage}");

            // The coordinator moves: its host crashes too (the crashed primary comes back first, so that two of three
            // remain). The host of the coordinator is the oldest member, so this also covers the case where the
            // coordinator that measured the outage is gone.
            primary.Process = cluster.StartNode(primary);
            await cluster.WaitHealthyAsync();
            // During a singleton hand-over the view names no coordinator host (or a stale one) for a moment.
            TestNode? named = null;
            await Eventually.TrueAsync(async () =>
            {
                var view = await cluster.ClusterAsync(promoted!);
                var hosts = cluster.Nodes.Where(n => view.CoordinatorPeers?.Contains(n.Name) == true).ToList();
                named = hosts.Count == 1 ? hosts[0] : null;
                return named is not null;
            }, () => "one node names the coordinator's host" + cluster.Logs(), TimeSpan.FromSeconds(60));
            var coordinatorHost = named!;
            Crash(coordinatorHost);
            await coordinatorHost.Process!.WaitAsync(TimeSpan.FromSeconds(30));
            await Eventually.TrueAsync(async () => await cluster.PrimaryAsync() is not null,
                () => "a node takes writes after the coordinator's host crashed" + cluster.Logs(), Patience);

            // A process started after the move holds nothing from before it: what it serves came from the new
            // coordinator, which read the outage journal.
            coordinatorHost.Process = cluster.StartNode(coordinatorHost);
            var again = await TakeoverWithOutageAsync(cluster, coordinatorHost, primary.Name, takeover.Version);
            Assert.Equal(outage, again.WriteOutage);

            var (code, json, err) = await NodeClusterFixture.CliAsync("history", "--json", "--endpoint", coordinatorHost.Url);
            Assert.True(code == 0, $"history exit {code}: {err}");
            var printed = System.Text.Json.JsonSerializer.Deserialize<List<HistoryEntryDto>>(json, ApiJson.Options)!;
            Assert.Equal(outage, printed.Single(e => e.Version == takeover.Version).WriteOutage);
        }
        finally
        {
            await cluster.DisposeAsync();
        }
    }

    private static void Crash(TestNode node)
    {
        using var host = Process.GetProcessById(node.Process!.Id);
        host.Kill(entireProcessTree: true);
    }

    /// <summary>Waits until <paramref name="via"/>'s <c>/history</c> has the takeover from <paramref name="lost"/> with its measured outage.</summary>
    private static async Task<HistoryEntryDto> TakeoverWithOutageAsync(NodeClusterFixture cluster, TestNode via, string lost, long? version = null)
    {
        HistoryEntryDto? found = null;
        var last = "no answer";
        await Eventually.TrueAsync(async () =>
        {
            try
            {
                var history = (await cluster.Http.GetFromJsonAsync<List<HistoryEntryDto>>(via.Url + "/history", ApiJson.Options))!;
                var takeovers = history.Where(e => e.Reason == "SyncTakeover" && (version is null ? e.State.Deposed.Any(d => d.Id == lost) : e.Version == version)).ToList();
                last = string.Join("; ", takeovers.Select(e => $"v{e.Version} outage {e.WriteOutage?.Ms.ToString(CultureInfo.InvariantCulture) ?? "none"}"));
                found = takeovers.FirstOrDefault(e => e.WriteOutage is not null);
                return found is not null;
            }
            catch (HttpRequestException e)
            {
                last = e.Message;
                return false;
            }
        }, () => $"{via.Name}'s history has the takeover from {lost} with its write outage (last: {last})" + cluster.Logs(), Patience);
        return found!;
    }
}
