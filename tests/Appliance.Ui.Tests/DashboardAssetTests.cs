using System.Text.RegularExpressions;
using Appliance.Host.Api.Ui;

namespace Appliance.Ui.Tests;

/// <summary>
/// The dashboard's files as the host embeds them: each is there, the page loads only its own files, and nothing needs
/// what the page's Content-Security-Policy forbids (inline script or style, another origin).
/// </summary>
public sealed class DashboardAssetTests
{
    [Fact]
    public void Every_file_is_embedded_and_served_under_ui()
    {
        Assert.Equal(["/ui", "/ui/dashboard.js", "/ui/dashboard.css"], Dashboard.Assets.Select(a => a.Url));
        Assert.All(Dashboard.Assets, a => Assert.False(string.IsNullOrWhiteSpace(Dashboard.Read(a)), a.Resource));
        Assert.Throws<InvalidOperationException>(() => Dashboard.Read(new DashboardAsset("/ui/x", "missing.js", "text/javascript")));
    }

    [Fact]
    public void The_page_loads_only_its_own_files_and_nothing_inline()
    {
        var html = Dashboard.Read(Dashboard.Assets[0]);
        // "data:," is the empty icon, which spares the browser a request for /favicon.ico.
        var loaded = Regex.Matches(html, "(?:src|href)=\"([^\"]+)\"").Select(m => m.Groups[1].Value).Where(u => u != "data:,").ToList();
        Assert.Equal(["/ui/dashboard.css", "/ui/dashboard.js"], loaded.Order(StringComparer.Ordinal));
        Assert.DoesNotMatch("<script[^>]*>[^<]+</script>", html);
        Assert.DoesNotContain(" style=", html);
        Assert.DoesNotContain("http://", html.Replace("http://www.w3.org", ""));
    }

    [Fact]
    public void The_script_writes_data_as_text_only_and_asks_only_this_node()
    {
        var js = Dashboard.Read(Dashboard.Assets[1]);
        // Peer ids, reasons and details come from the cluster: never parsed as markup.
        Assert.DoesNotContain("innerHTML", js);
        Assert.DoesNotContain("insertAdjacentHTML", js);
        Assert.DoesNotContain("document.write", js);
        // Relative paths only (the SVG namespace is a name, not a request); EventSource could not send the token.
        Assert.Empty(Regex.Matches(js, "fetch\\('(?!/)").Select(m => m.Value));
        Assert.DoesNotContain("EventSource(", js);
        Assert.Contains("sessionStorage", js);
        Assert.DoesNotContain("localStorage", js);
    }
}
