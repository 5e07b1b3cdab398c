using System.Net.Http.Json;
using System.Text.RegularExpressions;
using Appliance.Host.Api;
using Appliance.Host.Api.Json;
using Microsoft.Playwright;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace Appliance.Ui.Tests;

/// <summary>
/// The dashboard at <c>/ui</c> in a real browser: Debian's Chromium, headless, driven by Playwright (its node driver
/// ships in the NuGet package; no browser is downloaded) against three real node processes. Each step is saved as a
/// screenshot in the test output directory.
/// </summary>
[Trait("Category", "Cluster")]
public sealed class DashboardBrowserTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string Chromium = "/usr/bin/chromium";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);

    private readonly NodeClusterFixture _cluster = new();
    private readonly string _profile = ScratchDirectory.Create("ui-chromium-");
    private readonly List<string> _browserErrors = [];
    private int _step;

    public Task InitializeAsync()
    {
        // Loud, never skipped: CI installs the browser (.ci/run) as it installs PostgreSQL.
        if (!File.Exists(Chromium))
            throw new InvalidOperationException($"{Chromium} is missing: apt-get install -y --no-install-recommends chromium");
        return _cluster.InitializeAsync();
    }

    [Fact]
    public async Task The_page_draws_the_chain_and_follows_a_failover_without_a_reload_and_sends_operator_actions()
    {
        var primary = await _cluster.NodeInRoleAsync("primary");
        var sync = await _cluster.NodeInRoleAsync("sync");
        var async = await _cluster.NodeInRoleAsync("async");

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchPersistentContextAsync(_profile, new()
        {
            ExecutablePath = Chromium,
            Headless = true,
            Args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync"],
            ViewportSize = new() { Width = 1280, Height = 1000 },
        });
        var page = browser.Pages.Count > 0 ? browser.Pages[0] : await browser.NewPageAsync();
        page.PageError += (_, e) => _browserErrors.Add("page error: " + e);
        // Chromium logs every answer of 400 or more as a console error; the 401s before the token and the refused unfreeze
        // (409) are this test's own doing. Anything else, a missing file (404) or a script error, fails it.
        page.Console += (_, m) =>
        {
            if (m.Type == "error" && !Regex.IsMatch(m.Text, "^Failed to load resource: the server responded with a status of (401|409) "))
                _browserErrors.Add("console: " + m.Text);
        };

        // Served by the async, which lives through the failover below. The fixture's nodes have a read token, so the
        // page shows nothing until it is given one.
        await page.GotoAsync(async.Url + "/ui");
        await Expect(page.Locator("#message")).ToContainTextAsync("needs a token", new() { Timeout = 30_000 });
        await Expect(page.Locator("#chain g.peer")).ToHaveCountAsync(0);
        await ScreenshotAsync(page, "without-token");

        await page.FillAsync("#token-input", NodeClusterFixture.WriteToken);
        await page.ClickAsync("#token-form button[type=submit]");
        foreach (var (node, role) in new[] { (primary, "primary"), (sync, "sync"), (async, "async") })
        {
            var box = Peer(page, node);
            await Expect(box).ToHaveAttributeAsync("data-role", role, new() { Timeout = 30_000 });
            await Expect(box).ToHaveAttributeAsync("data-postgres", "up", new() { Timeout = 30_000 });
            await Expect(box.Locator("text.role")).ToHaveTextAsync($"{node.Name} · {role}");
        }
        await Expect(page.Locator("#stream-status")).ToHaveAttributeAsync("data-connected", "true");
        await Expect(page.Locator("#node-name")).ToHaveTextAsync(async.Name);
        await Expect(page.Locator("#history li[data-reason=InitialSetup]")).ToHaveCountAsync(1, new() { Timeout = 30_000 });

        // Commits on the primary, so that its chart has something to draw; the lag chart draws each standby.
        for (var i = 0; i < 20; i++) await NodeClusterFixture.WriteAsync(primary);
        await Expect(page.Locator("#commit-chart polyline")).ToHaveCountAsync(1, new() { Timeout = 30_000 });
        await Expect(page.Locator($"#lag-chart polyline[data-series={sync.Name}]")).ToHaveCountAsync(1, new() { Timeout = 30_000 });
        await ScreenshotAsync(page, "chain");

        // A mark in the page's own memory: were the page reloaded, it would be gone.
        await page.EvaluateAsync("() => { window.applianceTestMark = 'kept'; }");
        var versionBefore = await page.Locator("#history li").First.GetAttributeAsync("data-version");

        // SIGKILL of the node process and its PostgreSQL, as a crash of its machine (the fixture still owns the process).
        using (var host = System.Diagnostics.Process.GetProcessById(primary.Process!.Id)) host.Kill(entireProcessTree: true);
        await Expect(Peer(page, sync)).ToHaveAttributeAsync("data-role", "primary", new() { Timeout = (float)Patience.TotalMilliseconds });
        await Expect(Peer(page, primary)).ToHaveAttributeAsync("data-role", "deposed");
        await Expect(Peer(page, primary)).ToHaveAttributeAsync("data-postgres", "down", new() { Timeout = 30_000 });
        var failover = page.Locator("#history li.failover[data-reason=SyncTakeover]");
        await Expect(failover).ToHaveCountAsync(1, new() { Timeout = 30_000 });
        await Expect(failover).ToContainTextAsync($"Primary {primary.Name} is gone");
        // The coordinator measured the outage from the nodes' reports; the page shows that, not what it saw itself.
        await Expect(failover.Locator(".outage[data-source=server]")).ToContainTextAsync("measured by the coordinator", new() { Timeout = 30_000 });
        Assert.Equal("kept", await page.EvaluateAsync<string>("() => window.applianceTestMark"));
        Assert.NotEqual(versionBefore, await page.Locator("#history li").First.GetAttributeAsync("data-version"));
        await ScreenshotAsync(page, "after-failover");

        // A page opened after the failover saw nothing of it, and shows the same measured outage: the one in /history.
        var history = (await _cluster.Http.GetFromJsonAsync<List<HistoryEntryDto>>(async.Url + "/history", ApiJson.Options))!;
        var measured = history.Single(e => e.Reason == "SyncTakeover").WriteOutage;
        Assert.NotNull(measured);
        await page.ReloadAsync();
        Assert.Null(await page.EvaluateAsync<string?>("() => window.applianceTestMark ?? null"));
        var reloaded = page.Locator("#history li.failover[data-reason=SyncTakeover] .outage");
        await Expect(reloaded).ToHaveAttributeAsync("data-source", "server", new() { Timeout = 30_000 });
        await Expect(reloaded).ToContainTextAsync(
            "write outage: " + (measured.LowerBound ? "at least " : "") + (Math.Round(measured.Ms / 100.0, MidpointRounding.AwayFromZero) / 10).ToString("0.0", System.Globalization.CultureInfo.InvariantCulture) + " s");
        await ScreenshotAsync(page, "after-reload");

        // Operator actions: each asks first (accepted here), and a refusal shows the cluster's reason.
        page.Dialog += async (_, dialog) => await (dialog.Type == "prompt" ? dialog.AcceptAsync("dashboard test") : dialog.AcceptAsync());
        await page.ClickAsync("#act-unfreeze");
        await Expect(page.Locator("#action-result")).ToContainTextAsync("refused (409", new() { Timeout = 30_000 });
        await ScreenshotAsync(page, "refused-unfreeze");
        await page.ClickAsync("#act-freeze");
        await Expect(page.Locator("#action-result")).ToContainTextAsync("accepted (Frozen)", new() { Timeout = 30_000 });
        await Expect(page.Locator("#freeze-banner")).ToContainTextAsync("dashboard test", new() { Timeout = 30_000 });
        await ScreenshotAsync(page, "frozen");
        await page.ClickAsync("#act-unfreeze");
        await Expect(page.Locator("#action-result")).ToContainTextAsync("accepted (Unfrozen)", new() { Timeout = 30_000 });
        await Expect(page.Locator("#freeze-banner")).ToBeHiddenAsync(new() { Timeout = 30_000 });

        // A standby cluster's own events are named, with no write-outage note (it takes no writes). This cluster cannot
        // write them, so its real history is served with two entries appended as a standby cluster writes them.
        await page.RouteAsync("**/history*", async route =>
        {
            var response = await route.FetchAsync();
            var entries = System.Text.Json.Nodes.JsonNode.Parse(await response.TextAsync())!.AsArray();
            var last = entries[^1]!;
            foreach (var (reason, offset) in new[] { ("StandbyLeaderReplaced", 1), ("ClusterPromoted", 2) })
            {
                var added = last.DeepClone();
                added["version"] = last["version"]!.GetValue<long>() + offset;
                added["reason"] = reason;
                added["detail"] = $"{reason} as the test wrote it";
                added.AsObject().Remove("writeOutage");
                entries.Add(added);
            }
            await route.FulfillAsync(new() { Response = response, Body = entries.ToJsonString() });
        });
        await page.ReloadAsync();
        var replaced = page.Locator("#history li.leader-replaced[data-reason=StandbyLeaderReplaced]");
        await Expect(replaced).ToContainTextAsync("standby leader replaced: StandbyLeaderReplaced", new() { Timeout = 30_000 });
        await Expect(replaced.Locator(".outage")).ToHaveCountAsync(0);
        var promoted = page.Locator("#history li.promoted[data-reason=ClusterPromoted]");
        await Expect(promoted).ToContainTextAsync("cluster promoted: ClusterPromoted");
        await Expect(promoted.Locator(".outage")).ToHaveCountAsync(0);
        await ScreenshotAsync(page, "standby-events");
        await page.UnrouteAsync("**/history*");

        Assert.True(_browserErrors.Count == 0, "the browser reported: " + string.Join("\n", _browserErrors));
    }

    private static ILocator Peer(IPage page, TestNode node) => page.Locator($"#chain g.peer[data-peer={node.Name}]");

    private async Task ScreenshotAsync(IPage page, string name)
    {
        var dir = Path.Combine(AppContext.BaseDirectory, "dashboard-screenshots");
        Directory.CreateDirectory(dir);
        var path = Path.Combine(dir, $"{++_step:00}-{name}.png");
        await page.ScreenshotAsync(new() { Path = path, FullPage = true });
        output.WriteLine($"screenshot: {path}");
    }

    public async Task DisposeAsync()
    {
        await _cluster.DisposeAsync();
        try { ScratchDirectory.Delete(_profile); }
        catch (IOException) { }
    }
}
