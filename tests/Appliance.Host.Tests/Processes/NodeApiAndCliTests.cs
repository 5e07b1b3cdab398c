using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Appliance.Host.Api;
using Appliance.Host.Api.Json;
using Appliance.Nodes.Postgres;

namespace Appliance.Host.Tests.Processes;

/// <summary>
/// The HTTP API and the CLI verbs against three real node processes (their doors are in NodeApiAccessTests.cs, the other
/// part of this class, so that they share the cluster). Tests run in name order: the last one stops the primary.
/// </summary>
[Trait("Category", "Cluster")]
[TestCaseOrderer("Appliance.Testing.Processes.ByName", "Appliance.Testing.Processes")]
public sealed partial class NodeApiAndCliTests(NodeClusterFixture cluster) : IClassFixture<NodeClusterFixture>
{
    private async Task<int> Code(HttpMethod method, string url)
    {
        using var r = await cluster.Http.SendAsync(new HttpRequestMessage(method, url));
        return (int)r.StatusCode;
    }

    private async Task<(int Status, string Body)> Post(string url, string json = "{}")
    {
        using var r = await cluster.Http.PostAsync(url, new StringContent(json, Encoding.UTF8, "application/json"));
        return ((int)r.StatusCode, await r.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A1_role_checks_answer_200_or_503_as_patroni_does()
    {
        var primary = await cluster.NodeInRoleAsync("primary");
        var sync = await cluster.NodeInRoleAsync("sync");
        var async = await cluster.NodeInRoleAsync("async");
        var expected = new Dictionary<string, (int P, int S, int A)>
        {
            ["/primary"] = (200, 503, 503), ["/read-write"] = (200, 503, 503), ["/master"] = (200, 503, 503),
            ["/replica"] = (503, 200, 200), ["/replica?lag=16MB"] = (503, 200, 200), ["/replica?replication_state=streaming"] = (503, 200, 200),
            ["/sync"] = (503, 200, 503), ["/synchronous"] = (503, 200, 503), ["/async"] = (503, 503, 200), ["/asynchronous?lag=1GB"] = (503, 503, 200),
            ["/read-only"] = (200, 200, 200), ["/read-only-sync"] = (200, 200, 503), ["/health"] = (200, 200, 200),
            ["/liveness"] = (200, 200, 200), ["/readiness"] = (200, 200, 200), ["/standby-leader"] = (503, 503, 503),
            // GET / is Patroni's primary check, so 'option httpchk GET /' keeps working.
            ["/"] = (200, 503, 503),
        };
        foreach (var (path, (p, s, a)) in expected)
        {
            Assert.True(p == await Code(HttpMethod.Get, primary.Url + path), $"GET {path} on the primary");
            Assert.True(s == await Code(HttpMethod.Get, sync.Url + path), $"GET {path} on the sync");
            Assert.True(a == await Code(HttpMethod.Get, async.Url + path), $"GET {path} on the async");
        }
        // HAProxy's httpchk uses OPTIONS (and HEAD); OPTIONS / is Patroni's primary check.
        Assert.Equal(200, await Code(HttpMethod.Options, primary.Url + "/primary"));
        Assert.Equal(503, await Code(HttpMethod.Options, sync.Url + "/primary"));
        Assert.Equal(200, await Code(HttpMethod.Head, sync.Url + "/replica"));
        Assert.Equal(200, await Code(HttpMethod.Options, primary.Url + "/"));
        Assert.Equal(503, await Code(HttpMethod.Options, async.Url + "/"));
        using var bad = await cluster.Http.GetAsync(sync.Url + "/replica?lag=lots");
        Assert.Equal(400, (int)bad.StatusCode);
        Assert.Contains("16MB", await bad.Content.ReadAsStringAsync());
        // The role check's body is the node's status.
        var body = await cluster.Http.GetFromJsonAsync<StatusDto>(primary.Url + "/primary", ApiJson.Options);
        Assert.True(body!.ReadWrite);
    }

    [Fact]
    public async Task A2_state_status_cluster_history_metrics_and_the_status_page()
    {
        var node = cluster.Nodes[0];
        using var doc = JsonDocument.Parse(await cluster.Http.GetStringAsync(node.Url + "/state"));
        var keys = doc.RootElement.EnumerateObject().Select(p => p.Name).ToList();
        Assert.Equal(["version", "generation", "primary", "sync", "async", "deposed", "initWal", "freeze", "singleton"], keys);
        Assert.Equal(["id", "host", "port"], doc.RootElement.GetProperty("primary").EnumerateObject().Select(p => p.Name));
        Assert.Matches("^[0-9A-F]+/[0-9A-F]+$", doc.RootElement.GetProperty("initWal").GetString()!);

        var status = await cluster.StatusAsync(node);
        Assert.Equal("n1", status.Id);
        Assert.True(status.PostgresRunning);
        Assert.Equal(node.Process!.Id, status.HostPid);
        Assert.NotNull(status.PostmasterPid);
        Assert.NotNull(status.WalPosition);
        Assert.NotNull(status.LagBytes);

        var view = await cluster.ClusterAsync(node);
        Assert.Equal(3, view.Peers.Count);
        Assert.All(view.Peers, p => Assert.True(p.Reachable));

        var history = await cluster.Http.GetFromJsonAsync<List<HistoryEntryDto>>(node.Url + "/history", ApiJson.Options);
        Assert.Equal("InitialSetup", history![0].Reason);

        var metrics = await cluster.Http.GetAsync(node.Url + "/metrics");
        Assert.StartsWith("text/plain", metrics.Content.Headers.ContentType!.ToString());
        // The history counters come from the coordinator's history as the node last read it, which follows each state
        // change (and is read again if a read failed), so they may lag the state for a moment.
        string[] names = ["appliance_role{", "appliance_generation{", "appliance_replication_lag_bytes{", "appliance_read_write{", "appliance_failovers_total{", "appliance_last_transition_timestamp_seconds{"];
        var text = "";
        await Eventually.TrueAsync(async () =>
        {
            text = await cluster.Http.GetStringAsync(node.Url + "/metrics");
            return names.All(text.Contains);
        }, () => $"/metrics has {string.Join(", ", names)}; it was:\n{text}", TimeSpan.FromSeconds(30));

        // The dashboard: the page and its two files, embedded in the host (Appliance.Ui.Tests drives it in a browser).
        var page = await cluster.Http.GetAsync(node.Url + "/ui");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.StartsWith("text/html", page.Content.Headers.ContentType!.ToString());
        Assert.Contains("/ui/dashboard.js", await page.Content.ReadAsStringAsync());
        foreach (var (path, type) in new[] { ("/ui/dashboard.js", "text/javascript"), ("/ui/dashboard.css", "text/css") })
        {
            using var file = await cluster.Http.GetAsync(node.Url + path);
            Assert.Equal(HttpStatusCode.OK, file.StatusCode);
            Assert.StartsWith(type, file.Content.Headers.ContentType!.ToString());
        }
    }

    [Fact]
    public async Task A3_state_stream_sends_the_current_state_then_every_change()
    {
        var node = cluster.Nodes[1];
        using var http = new HttpClient { Timeout = Timeout.InfiniteTimeSpan, DefaultRequestHeaders = { Authorization = new("Bearer", NodeClusterFixture.ReadToken) } };
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        using var response = await http.GetAsync(node.Url + "/state/stream", HttpCompletionOption.ResponseHeadersRead, cts.Token);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType!.MediaType);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cts.Token));
        async Task<StateDto> NextAsync()
        {
            while (await reader.ReadLineAsync(cts.Token) is { } line)
                if (line.StartsWith("data: ", StringComparison.Ordinal)) return JsonSerializer.Deserialize<StateDto>(line[6..], ApiJson.Options)!;
            throw new EndOfStreamException();
        }
        var first = await NextAsync();
        Assert.Null(first.Freeze);
        Assert.Equal(200, (await Post(node.Url + "/freeze", """{"reason":"stream test"}""")).Status);
        var frozen = await NextAsync();
        Assert.Equal("stream test", frozen.Freeze!.Reason);
        Assert.True(frozen.Version > first.Version);
        Assert.Equal(200, (await Post(node.Url + "/unfreeze")).Status);
        Assert.Null((await NextAsync()).Freeze);
    }

    [Fact]
    public async Task B1_status_history_and_verify_print_tables_or_json()
    {
        var e = cluster.Nodes[2].Url;
        var (code, output, _) = await NodeClusterFixture.CliAsync("status", "--endpoint", e);
        Assert.Equal(0, code);
        Assert.Contains("PEER", output);
        Assert.Matches(@"│ n\d\s+│ primary\s+│", output);
        Assert.Matches(@"│ n\d\s+│ async\s+│", output);

        (code, output, _) = await NodeClusterFixture.CliAsync("status", "--endpoint", e, "--json");
        Assert.Equal(0, code);
        Assert.Equal(3, JsonSerializer.Deserialize<ClusterViewDto>(output, ApiJson.Options)!.Peers.Count);

        (code, output, _) = await NodeClusterFixture.CliAsync("history", "--endpoint", e);
        Assert.Equal(0, code);
        Assert.Contains("GENERATION", output);
        Assert.Contains("InitialSetup", output);
        (code, output, _) = await NodeClusterFixture.CliAsync("history", "--endpoint", e, "--json");
        Assert.Equal("InitialSetup", JsonSerializer.Deserialize<List<HistoryEntryDto>>(output, ApiJson.Options)![0].Reason);

        (code, output, _) = await NodeClusterFixture.CliAsync("verify", "--endpoint", e);
        Assert.True(code == 0, output);
        Assert.StartsWith("ok: 3 peers", output);
        (code, output, _) = await NodeClusterFixture.CliAsync("verify", "--endpoint", e, "--json");
        Assert.Equal(0, code);
        Assert.True(JsonDocument.Parse(output).RootElement.GetProperty("ok").GetBoolean());
    }

    [Fact]
    public async Task B2_an_unreachable_endpoint_is_named_with_what_to_do()
    {
        var (code, _, err) = await AppProcess.RunAsync("status", "--endpoint", "http://127.0.0.1:1");
        Assert.Equal(2, code);
        Assert.Contains("Cannot reach a node at http://127.0.0.1:1/", err);
        Assert.Contains("--endpoint", err);
        (code, _, err) = await AppProcess.RunAsync("verify", "--endpoint", "not a url");
        Assert.Equal(2, code);
        Assert.Contains("is not an HTTP URL", err);
    }

    [Fact]
    public async Task C1_commands_are_accepted_or_refused_whole_with_409_or_412_and_a_reason()
    {
        var e = cluster.Nodes[0].Url;
        var before = (await cluster.ClusterAsync(cluster.Nodes[0])).State!;
        var primary = before.Primary!.Id;
        var asyncId = before.Async[0].Id;

        var (code, output, err) = await NodeClusterFixture.CliAsync("freeze", "--endpoint", e);
        Assert.NotEqual(0, code);
        Assert.Contains("--reason", err);

        (code, output, _) = await NodeClusterFixture.CliAsync("freeze", "--endpoint", e, "--reason", "maintenance");
        Assert.Equal(0, code);
        Assert.Contains("accepted (Frozen)", output);
        var frozen = (await cluster.ClusterAsync(cluster.Nodes[0])).State!;

        // Each refusal: CLI exit 1 and its reason; the HTTP status and body; and nothing written.
        async Task Refused(string[] verb, string reason, int status)
        {
            var (c, _, stderr) = await NodeClusterFixture.CliAsync([.. verb, "--endpoint", e]);
            Assert.True(c == 1, $"{string.Join(' ', verb)} exited {c}: {stderr}");
            Assert.Contains($"refused ({status} {reason})", stderr);
            var (jc, json, _) = await NodeClusterFixture.CliAsync([.. verb, "--endpoint", e, "--json"]);
            Assert.Equal(1, jc);
            var result = JsonSerializer.Deserialize<CommandResultDto>(json, ApiJson.Options)!;
            Assert.False(result.Accepted);
            Assert.Equal(reason, result.Reason);
            Assert.False(string.IsNullOrWhiteSpace(result.Detail));
        }
        await Refused(["freeze", "-r", "again"], "AlreadyFrozen", 409);
        await Refused(["switchover"], "ClusterFrozen", 409);
        Assert.Equal(frozen.Version, (await cluster.ClusterAsync(cluster.Nodes[0])).State!.Version);

        (code, output, _) = await NodeClusterFixture.CliAsync("unfreeze", "--endpoint", e, "--json");
        Assert.Equal(0, code);
        Assert.True(JsonSerializer.Deserialize<CommandResultDto>(output, ApiJson.Options)!.Accepted);
        await Refused(["unfreeze"], "NotFrozen", 409);
        await Refused(["reap", "n9"], "UnknownPeer", 412);
        await Refused(["rebuild", asyncId], "NotDeposed", 412);
        await Refused(["reap", asyncId], "NotDeposed", 412);
        await Refused(["switchover", "--to", primary], "InvalidRequest", 412);
        await Refused(["switchover", "--generation", "999"], "StaleGeneration", 412);
        await Refused(["switchover", "--to", "n9"], "UnknownPeer", 412);

        var (status, body) = await Post(e + "/freeze", "{\"reason\": ");
        Assert.Equal(400, status);
        Assert.Contains("not valid JSON", body);
        (status, body) = await Post(e + "/freeze", "{}");
        Assert.Equal(412, status);
        Assert.Contains("InvalidRequest", body);
        var after = (await cluster.ClusterAsync(cluster.Nodes[0])).State!;
        Assert.Equal(frozen.Version + 1, after.Version);   // only the unfreeze was written
        Assert.Equal(before.Generation, after.Generation);
    }

    [Fact]
    public async Task Z1_switchover_moves_the_primary_and_a_planned_stop_of_the_primary_hands_over()
    {
        await cluster.WaitHealthyAsync();
        var oldPrimary = (await cluster.PrimaryAsync())!;
        var sync = await cluster.NodeInRoleAsync("sync");
        var gapsBefore = await SwitchoverGapsAsync();
        var (code, output, err) = await NodeClusterFixture.CliAsync("switchover", "--endpoint", oldPrimary.Url);
        Assert.True(code == 0, err + cluster.Logs(40));
        Assert.Contains("accepted (Switchover)", output);
        await Eventually.TrueAsync(async () => await cluster.PrimaryAsync() == sync, () => $"{sync.Name} is primary" + cluster.Logs(), TimeSpan.FromSeconds(60));
        Assert.True(await NodeClusterFixture.WriteAsync(sync) > 0);
        // The old primary was deposed; it rewinds and rejoins by itself.
        await cluster.WaitHealthyAsync();
        // The coordinator timed the write gap once the new primary's node reported it takes writes.
        var gaps = 0.0;
        await Eventually.TrueAsync(async () => (gaps = await SwitchoverGapsAsync()) > gapsBefore,
            () => $"appliance_switchover_write_gap_seconds_count went past {gapsBefore} (it is {gaps})" + cluster.Logs(), TimeSpan.FromSeconds(30));

        // SIGTERM the primary: it hands over to its sync, stops PostgreSQL, leaves, and exits 0.
        var primary = (await cluster.PrimaryAsync())!;
        var next = await cluster.NodeInRoleAsync("sync");
        var postmaster = (await cluster.StatusAsync(primary)).PostmasterPid!.Value;
        var generation = (await cluster.ClusterAsync(next)).State!.Generation;
        primary.Process!.Signal(ProcessSignal.Term);
        var exit = await primary.Process.WaitAsync(TimeSpan.FromSeconds(90));
        // CI once saw exit 1 here (an exception out of the node's shutdown) without the process's own words: keep them.
        Assert.True(exit == 0, $"the node exited with {exit}.\nstdout:\n{primary.Process.Stdout}\nstderr:\n{primary.Process.Stderr}");
        Assert.Contains("switchover accepted", primary.Process.Stdout);
        Assert.Contains("PostgreSQL stopped", primary.Process.Stdout);
        Assert.Throws<ArgumentException>(() => System.Diagnostics.Process.GetProcessById(postmaster));
        await Eventually.TrueAsync(async () => await cluster.PrimaryAsync() == next, () => $"{next.Name} is primary" + cluster.Logs(), TimeSpan.FromSeconds(30));
        Assert.True(await NodeClusterFixture.WriteAsync(next) > 0);
        var history = await cluster.Http.GetFromJsonAsync<List<HistoryEntryDto>>(next.Url + "/history", ApiJson.Options);
        var handOver = history!.Last(h => h.Generation == generation + 1);
        Assert.Equal("Switchover", handOver.Reason);
        Assert.Equal(next.Name, handOver.State.Primary!.Id);
    }

    /// <summary>Switchovers timed, over every node (the histogram fills on the node that runs the coordinator).</summary>
    private async Task<double> SwitchoverGapsAsync()
    {
        var total = 0.0;
        foreach (var node in cluster.Nodes)
        {
            var text = await cluster.Http.GetStringAsync(node.Url + "/metrics");
            var m = System.Text.RegularExpressions.Regex.Match(text, @"(?m)^appliance_switchover_write_gap_seconds_count(\{[^}]*\})? (\S+)$");
            Assert.True(m.Success, $"{node.Name} exports appliance_switchover_write_gap_seconds_count:\n{text}");
            total += double.Parse(m.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture);
        }
        return total;
    }
}
