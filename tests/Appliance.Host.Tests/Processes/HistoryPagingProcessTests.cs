using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Appliance.Actors.Coordinator;
using Appliance.Host.Api;
using Appliance.Host.Api.Json;
using Xunit.Abstractions;
using Appliance.Nodes.Postgres;

namespace Appliance.Host.Tests.Processes;

/// <summary>
/// Issue 15, "a history longer than Akka's frame size must keep working: test it with 2,000 entries", with real node
/// processes: the history grows past 2,000 entries by operator commands, then every node pages it with
/// <c>since</c>/<c>limit</c>, the CLI reads it, and a node restarted afterwards (with an empty copy, and not the
/// coordinator's host, so every entry reaches it over remoting) serves all of it.
/// </summary>
[Trait("Category", "Cluster")]
public sealed class HistoryPagingProcessTests(ITestOutputHelper output)
{
    private const int Entries = 2000;

    /// <summary>A page size that does not divide the history, so that the last page is a short one.</summary>
    private const int PageSize = 97;

    [Fact]
    public async Task Two_thousand_entries_page_on_every_node_and_reach_a_restarted_node_whole()
    {
        var cluster = new NodeClusterFixture();
        try
        {
            await cluster.InitializeAsync();
            var clock = Stopwatch.StartNew();
            var grown = await GrowHistoryAsync(cluster, Entries);
            output.WriteLine($"history grown to {grown} entries in {clock.Elapsed.TotalSeconds:0.0} s");

            // The precondition the test is about: the history, in one message, would be several of Akka's frames.
            var whole = await cluster.Http.GetStringAsync(cluster.Nodes[0].Url + "/history");
            output.WriteLine($"/history: {whole.Length:N0} characters; Akka's frame size {HistoryPages.DefaultFrameSize:N0} bytes");
            Assert.True(whole.Length > 4 * HistoryPages.DefaultFrameSize, $"the history is only {whole.Length} characters long");
            var reference = JsonSerializer.Deserialize<List<HistoryEntryDto>>(whole, ApiJson.Options)!;
            Assert.Equal(Enumerable.Range(1, reference.Count).Select(v => (long)v), reference.Select(e => e.Version));

            clock.Restart();
            foreach (var n in cluster.Nodes)
                AssertHolds(reference, await PagesAsync(cluster, n));
            output.WriteLine($"paged on every node in {clock.Elapsed.TotalSeconds:0.0} s");

            // The CLI: one page as JSON, and the whole history as JSON and as the table.
            var via = cluster.Nodes[1].Url;
            var last = reference[^1].Version;
            var page = await NodeClusterFixture.CliAsync("history", "--since", $"{last - 10}", "--limit", "5", "--json", "--endpoint", via);
            Assert.True(page.Code == 0, page.Out + page.Err);
            Assert.Equal(Enumerable.Range(0, 5).Select(i => last - 9 + i), JsonSerializer.Deserialize<List<HistoryEntryDto>>(page.Out, ApiJson.Options)!.Select(e => e.Version));
            var table = await NodeClusterFixture.CliAsync("history", "--endpoint", via);
            Assert.True(table.Code == 0, table.Err);
            output.WriteLine(string.Join("\n", table.Out.Split('\n').TakeLast(3)));
            // One table row per entry: its GENERATION and VERSION cells (a row whose REASON wraps goes on with empty ones).
            var rows = Regex.Matches(table.Out, @"^│ \d+ +│ (\d+) +│", RegexOptions.Multiline).Select(m => long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)).ToList();
            Assert.Equal(Enumerable.Range(1, rows.Count).Select(v => (long)v), rows);
            Assert.True(rows.Count >= reference.Count, $"the table shows {rows.Count} entries of {reference.Count}");
            var all = await NodeClusterFixture.CliAsync("history", "--json", "--endpoint", via);
            Assert.True(all.Code == 0, all.Err);
            AssertHolds(reference, JsonSerializer.Deserialize<List<HistoryEntryDto>>(all.Out, ApiJson.Options)!);

            // A node restarted now holds no copy: it reads every entry from the coordinator, which runs on the oldest
            // member (never the node that just joined again), a page at a time.
            var restarted = await cluster.NodeInRoleAsync("async");
            restarted.Process!.Signal(ProcessSignal.Term);
            await restarted.Process.WaitAsync(TimeSpan.FromSeconds(60));
            await restarted.Process.DisposeAsync();
            clock.Restart();
            restarted.Process = cluster.StartNode(restarted);
            List<HistoryEntryDto>? afterRestart = null;
            await Eventually.TrueAsync(async () => (afterRestart = await PagesAsync(cluster, restarted)).Count > 0,
                () => $"{restarted.Name} answers /history again" + cluster.Logs(), TimeSpan.FromSeconds(120));
            output.WriteLine($"{restarted.Name} served the whole history {clock.Elapsed.TotalSeconds:0.0} s after it was started again");
            AssertHolds(reference, afterRestart!);
        }
        finally
        {
            await cluster.DisposeAsync();
        }
    }

    /// <summary>
    /// Freezes and unfreezes the cluster (two entries, the cheapest real writes: no PostgreSQL work) until the history
    /// holds at least <paramref name="count"/> entries, ending unfrozen; returns the newest version.
    /// </summary>
    private static async Task<long> GrowHistoryAsync(NodeClusterFixture cluster, int count)
    {
        var via = cluster.Nodes[0].Url;
        var version = (await cluster.ClusterAsync(cluster.Nodes[0])).State!.Version;
        while (version < count)
        {
            version = (await CommandAsync(cluster, via + "/freeze", new { reason = $"growing the history past {count} entries" })).Version;
            version = (await CommandAsync(cluster, via + "/unfreeze", new { })).Version;
        }
        return version;
    }

    private static async Task<StateDto> CommandAsync(NodeClusterFixture cluster, string url, object body)
    {
        using var response = await cluster.Http.PostAsJsonAsync(url, body, ApiJson.Options);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{url}: {(int)response.StatusCode} {text}");
        return JsonSerializer.Deserialize<CommandResultDto>(text, ApiJson.Options)!.State!;
    }

    /// <summary>Reads <paramref name="n"/>'s history a page at a time (<c>since</c> the last version read, <see cref="PageSize"/>) until a short page.</summary>
    private static async Task<List<HistoryEntryDto>> PagesAsync(NodeClusterFixture cluster, TestNode n)
    {
        var all = new List<HistoryEntryDto>();
        while (true)
        {
            var since = all.Count > 0 ? all[^1].Version : 0;
            var page = (await cluster.Http.GetFromJsonAsync<List<HistoryEntryDto>>($"{n.Url}/history?since={since}&limit={PageSize}", ApiJson.Options))!;
            Assert.True(page.Count <= PageSize, $"{n.Name} answered {page.Count} entries to limit={PageSize}");
            Assert.All(page, e => Assert.True(e.Version > since, $"{n.Name} answered version {e.Version} to since={since}"));
            all.AddRange(page);
            if (page.Count < PageSize) return all;
        }
    }

    /// <summary>
    /// <paramref name="actual"/> is every version from 1 once, in order, and begins with the entries of
    /// <paramref name="expected"/> (same version, time, reason and detail); it may go on with entries written since
    /// (a restarted node's leaving and coming back).
    /// </summary>
    private static void AssertHolds(IReadOnlyList<HistoryEntryDto> expected, IReadOnlyList<HistoryEntryDto> actual)
    {
        Assert.Equal(Enumerable.Range(1, actual.Count).Select(v => (long)v), actual.Select(e => e.Version));
        Assert.True(actual.Count >= expected.Count, $"{actual.Count} entries, fewer than the {expected.Count} read before");
        Assert.Equal(expected.Select(e => (e.Version, e.At, e.Reason, e.Detail)), actual.Take(expected.Count).Select(e => (e.Version, e.At, e.Reason, e.Detail)));
    }
}
