using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Appliance.Host.Api;
using Appliance.Host.Api.Json;

namespace Appliance.Host.Tests.Processes;

/// <summary>
/// The API's doors, on the cluster the rest of this class uses (its nodes have a write and a read token): changes need
/// the write token and JSON, no CORS, the read token guards the cluster-wide views, and the CLI sends the token.
/// </summary>
public sealed partial class NodeApiAndCliTests
{
    /// <summary>Every change the API offers, each with a body the door would let through.</summary>
    private static readonly (string Path, string Body)[] Changes =
    [
        ("/freeze", """{"reason":"intruder"}"""), ("/unfreeze", "{}"), ("/switchover", "{}"), ("/rebuild/n1", "{}"),
        ("/reap/n1", "{}"), ("/scale", """{"instances":1,"force":true}"""),
    ];

    private static HttpClient Client(string? token = null)
    {
        var http = new HttpClient { Timeout = TimeSpan.FromSeconds(20) };
        if (token is not null) http.DefaultRequestHeaders.Authorization = new("Bearer", token);
        return http;
    }

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    private static async Task<string> ErrorAsync(HttpResponseMessage r) =>
        JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement.GetProperty("error").GetString()!;

    private static string Challenge(HttpResponseMessage r) =>
        r.Headers.TryGetValues("WWW-Authenticate", out var values) ? string.Join(", ", values) : "";

    /// <summary>The coordinator's state (through <c>/cluster</c>), which a change accepted a moment ago is already in.</summary>
    private async Task<StateDto> StateAsync() => (await cluster.ClusterAsync(cluster.Nodes[0])).State!;

    /// <summary>Operator changes written to the history after <paramref name="version"/> (the coordinator's own relief switchover is not one).</summary>
    private async Task<List<string>> ChangesSinceAsync(long version)
    {
        var history = await cluster.Http.GetFromJsonAsync<List<HistoryEntryDto>>(cluster.Nodes[0].Url + "/history", ApiJson.Options);
        return [.. history!.Where(h => h.Version > version && h.Reason != "CoordinatorHostRelieved").Select(h => $"v{h.Version} {h.Reason}")];
    }

    [Fact]
    public async Task D1_changes_without_the_token_or_with_a_wrong_one_get_401_and_change_nothing()
    {
        var before = await StateAsync();
        var url = cluster.Nodes[1].Url;
        var write = NodeClusterFixture.WriteToken;
        // No token; a wrong one; the token with a character more and with one less (no prefix or length is enough).
        foreach (var token in new[] { null, "wrong", write + "x", write[..^1] })
        {
            using var http = Client(token);
            foreach (var (path, body) in Changes)
            {
                using var r = await http.PostAsync(url + path, Json(body));
                Assert.True(r.StatusCode == HttpStatusCode.Unauthorized, $"POST {path} with token '{token}' answered {(int)r.StatusCode}");
                Assert.StartsWith("Bearer", Challenge(r));
                if (token is not null) Assert.Contains("error=\"invalid_token\"", Challenge(r));
                Assert.Contains("--api-token-file", await ErrorAsync(r));
            }
        }
        // The read token reads, but changes nothing: 403 with RFC 6750's insufficient_scope.
        using (var reader = Client(NodeClusterFixture.ReadToken))
        using (var r = await reader.PostAsync(url + "/freeze", Json("""{"reason":"reader"}""")))
        {
            Assert.Equal(HttpStatusCode.Forbidden, r.StatusCode);
            Assert.Contains("error=\"insufficient_scope\"", Challenge(r));
        }
        Assert.Null((await StateAsync()).Freeze);
        Assert.Empty(await ChangesSinceAsync(before.Version));
    }

    [Fact]
    public async Task D2_the_token_lets_a_change_through_only_as_json_and_no_cors_is_offered()
    {
        var url = cluster.Nodes[2].Url;
        using var http = Client(NodeClusterFixture.WriteToken);
        using (var r = await http.PostAsync(url + "/freeze", Json("""{"reason":"door test"}""")))
            Assert.True(r.StatusCode == HttpStatusCode.OK, await r.Content.ReadAsStringAsync());
        var frozen = await StateAsync();
        Assert.Equal("door test", frozen.Freeze?.Reason);

        // What a web page can send without a CORS preflight: no body, a form, plain text. All 415, still frozen.
        HttpContent?[] notJson =
        [
            null,
            new FormUrlEncodedContent([new("reason", "csrf")]),
            new StringContent("{}", Encoding.UTF8, "text/plain"),
        ];
        foreach (var content in notJson)
        {
            using var r = await http.PostAsync(url + "/unfreeze", content);
            Assert.True(r.StatusCode == HttpStatusCode.UnsupportedMediaType, $"{content?.Headers.ContentType} answered {(int)r.StatusCode}");
            Assert.Contains("application/json", await ErrorAsync(r));
        }
        Assert.Equal(frozen.Freeze, (await StateAsync()).Freeze);

        // A preflight from another origin gets no CORS headers, so a browser sends neither the token nor JSON.
        using (var preflight = new HttpRequestMessage(HttpMethod.Options, url + "/unfreeze"))
        {
            preflight.Headers.Add("Origin", "http://evil.example");
            preflight.Headers.Add("Access-Control-Request-Method", "POST");
            preflight.Headers.Add("Access-Control-Request-Headers", "authorization, content-type");
            using var r = await http.SendAsync(preflight);
            Assert.False(r.Headers.Contains("Access-Control-Allow-Origin"), r.ToString());
            Assert.False(r.Headers.Contains("Access-Control-Allow-Headers"), r.ToString());
        }

        using (var unfreeze = new HttpRequestMessage(HttpMethod.Post, url + "/unfreeze") { Content = Json("{}") })
        {
            unfreeze.Headers.Add("Origin", "http://evil.example");
            using var r = await http.SendAsync(unfreeze);
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);
            Assert.False(r.Headers.Contains("Access-Control-Allow-Origin"));
        }
        Assert.Null((await StateAsync()).Freeze);
    }

    [Fact]
    public async Task D3_the_read_token_guards_the_cluster_views_while_load_balancer_checks_stay_open()
    {
        var primary = await cluster.NodeInRoleAsync("primary");
        var sync = await cluster.NodeInRoleAsync("sync");
        string[] guarded = ["/cluster", "/history", "/metrics", "/state"];
        using (var anonymous = Client())
        using (var wrong = Client("wrong"))
        {
            foreach (var path in guarded)
            {
                using var r = await anonymous.GetAsync(primary.Url + path);
                Assert.True(r.StatusCode == HttpStatusCode.Unauthorized, $"GET {path} without a token answered {(int)r.StatusCode}");
                Assert.StartsWith("Bearer", Challenge(r));
                Assert.Contains("--api-read-token-file", await ErrorAsync(r));
                using var w = await wrong.GetAsync(primary.Url + path);
                Assert.Equal(HttpStatusCode.Unauthorized, w.StatusCode);
            }
            using (var stream = await anonymous.GetAsync(primary.Url + "/state/stream", HttpCompletionOption.ResponseHeadersRead))
                Assert.Equal(HttpStatusCode.Unauthorized, stream.StatusCode);

            Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync(primary.Url + "/primary")).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync(sync.Url + "/replica")).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync(sync.Url + "/health")).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync(sync.Url + "/status")).StatusCode);
            // The dashboard's page is open and holds nothing about the cluster: its script asks the guarded endpoints.
            using (var ui = await anonymous.GetAsync(primary.Url + "/ui"))
            {
                Assert.Equal(HttpStatusCode.OK, ui.StatusCode);
                var html = await ui.Content.ReadAsStringAsync();
                Assert.DoesNotContain(sync.Name, html);
                Assert.DoesNotContain("127.0.0.1", html);
            }
            Assert.Equal(HttpStatusCode.OK, (await anonymous.SendAsync(new HttpRequestMessage(HttpMethod.Options, primary.Url + "/"))).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync(primary.Url + "/")).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await anonymous.SendAsync(new HttpRequestMessage(HttpMethod.Head, primary.Url + "/primary"))).StatusCode);
        }
        using var reader = Client(NodeClusterFixture.ReadToken);
        foreach (var path in guarded)
        {
            using var r = await reader.GetAsync(primary.Url + path);
            Assert.True(r.StatusCode == HttpStatusCode.OK, $"GET {path} with the read token answered {(int)r.StatusCode}");
        }
        // The write token reads too (every other test reads through it).
        Assert.Equal(3, (await cluster.ClusterAsync(primary)).Peers.Count);
    }

    [Fact]
    public async Task D4_the_cli_sends_the_token_from_token_file_or_APPLIANCE_API_TOKEN_and_says_what_to_pass()
    {
        var e = cluster.Nodes[0].Url;
        var (code, _, err) = await AppProcess.RunAsync("freeze", "--endpoint", e, "--reason", "no token");
        Assert.True(code == 2, $"exit {code}: {err}");
        Assert.Contains("answered 401", err);
        Assert.Contains("--token-file PATH", err);
        Assert.Contains("APPLIANCE_API_TOKEN", err);
        Assert.Null((await StateAsync()).Freeze);

        (code, var output, err) = await AppProcess.RunAsync("freeze", "--endpoint", e, "--reason", "from a file", "--token-file", cluster.WriteTokenFile);
        Assert.True(code == 0, err);
        Assert.Contains("accepted (Frozen)", output);
        Assert.Equal("from a file", (await StateAsync()).Freeze?.Reason);

        (code, output, err) = await NodeClusterFixture.CliAsync("unfreeze", "--endpoint", e);
        Assert.True(code == 0, err);
        Assert.Contains("accepted (Unfrozen)", output);
        Assert.Null((await StateAsync()).Freeze);

        (code, _, err) = await AppProcess.RunAsync(new Dictionary<string, string> { ["APPLIANCE_API_TOKEN"] = "wrong" }, "status", "--endpoint", e);
        Assert.Equal(2, code);
        Assert.Contains("The token from APPLIANCE_API_TOKEN is not the node's", err);
        (code, output, err) = await AppProcess.RunAsync("status", "--endpoint", e, "--token-file", cluster.ReadTokenFile);
        Assert.True(code == 0, err);
        Assert.Contains("PEER", output);
        (code, _, err) = await AppProcess.RunAsync("status", "--endpoint", e, "--token-file", "/nonexistent/token");
        Assert.Equal(2, code);
        Assert.Contains("--token-file /nonexistent/token does not exist", err);
    }
}
