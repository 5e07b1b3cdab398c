using System.Text.Json;
using Appliance.Host.Tests.Unit;

namespace Appliance.Host.Tests.Processes;

/// <summary>
/// docs/grafana/appliance.json and docs/alerts.yml against what this class's real nodes export: every metric their
/// PromQL names must be in a scrape, or a panel stays empty and an alert never fires. Part of
/// <see cref="NodeApiAndCliTests"/>, so that it scrapes the class's cluster instead of starting one.
/// </summary>
public sealed partial class NodeApiAndCliTests
{
    /// <summary>Series Prometheus makes itself for every target; no node exports them.</summary>
    private static readonly HashSet<string> PrometheusOwn = ["up"];

    [Fact]
    public async Task A4_the_grafana_board_and_the_alert_rules_read_only_metrics_the_nodes_export()
    {
        // The runtime's, Kestrel's and Npgsql's meters publish their instruments once used: wait until a scrape has
        // them all (the appliance_* ones are there from the first scrape, the history counters once it was read).
        var exported = new HashSet<string>();
        var board = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(Repository.Root(), "docs", "grafana", "appliance.json"))).RootElement;
        var rules = MonitoringFiles.ParseYaml(await File.ReadAllTextAsync(Path.Combine(Repository.Root(), "docs", "alerts.yml")));
        var referenced = MonitoringFiles.DashboardExpressions(board).Concat(AlertExpressions(rules))
            .SelectMany(e => MonitoringFiles.MetricNames(e.Expr).Select(name => (e.Where, Name: name))).ToList();
        Assert.Contains(referenced, r => r.Name.StartsWith("system_runtime_", StringComparison.Ordinal));
        Assert.Contains(referenced, r => r.Name == "appliance_failover_duration_seconds_bucket");
        IEnumerable<string> Missing() => referenced.Where(r => !exported.Contains(r.Name) && !PrometheusOwn.Contains(r.Name))
            .Select(r => $"{r.Name} ({r.Where})").Distinct();
        var text = "";
        await Eventually.TrueAsync(async () =>
        {
            exported.Clear();
            foreach (var node in cluster.Nodes)
            {
                text = await cluster.Http.GetStringAsync(node.Url + "/metrics");
                exported.UnionWith(MonitoringFiles.ExportedNames(text));
            }
            return !Missing().Any();
        }, () => $"every metric the board and the rules name is exported; missing: {string.Join(", ", Missing())}\nlast scrape:\n{text}",
            TimeSpan.FromSeconds(30));

        // What Grafana needs to import the board: a schema it migrates from, a data source input, and panels it can lay out.
        Assert.True(board.GetProperty("schemaVersion").GetInt32() >= 36);
        Assert.False(string.IsNullOrEmpty(board.GetProperty("title").GetString()));
        Assert.False(string.IsNullOrEmpty(board.GetProperty("uid").GetString()));
        Assert.Contains(board.GetProperty("templating").GetProperty("list").EnumerateArray(),
            v => v.GetProperty("type").GetString() == "datasource" && v.GetProperty("query").GetString() == "prometheus");
        var panels = MonitoringFiles.Panels(board).ToList();
        Assert.Equal(panels.Count, panels.Select(p => p.GetProperty("id").GetInt32()).Distinct().Count());
        foreach (var p in panels)
        {
            var id = p.GetProperty("id").GetInt32();
            var grid = p.GetProperty("gridPos");
            Assert.True(grid.GetProperty("w").GetInt32() is > 0 and <= 24 && grid.GetProperty("h").GetInt32() > 0
                && grid.GetProperty("x").GetInt32() + grid.GetProperty("w").GetInt32() <= 24 && grid.GetProperty("y").GetInt32() >= 0, $"panel {id}'s gridPos");
            if (p.GetProperty("type").GetString() == "row") continue;
            Assert.Equal("${DS_PROMETHEUS}", p.GetProperty("datasource").GetProperty("uid").GetString());
            var targets = p.GetProperty("targets").EnumerateArray().ToList();
            Assert.True(targets.Count > 0, $"panel {id} has targets");
            Assert.All(targets, t => Assert.False(string.IsNullOrWhiteSpace(t.GetProperty("refId").GetString())));
        }

        // The rules: groups of named rules, each an alert with an expression, a severity and a summary.
        var alerts = MonitoringFiles.AlertRules(rules).ToList();
        string[] required = ["ApplianceNoPrimary", "ApplianceSyncLagging", "ApplianceSelfFencedPrimary", "ApplianceFrozenTooLong",
            "ApplianceBackupFailing", "ApplianceBackupTooOld", "ApplianceNodeDown"];
        Assert.Empty(required.Except(alerts.Select(a => (string)a["alert"])));
        Assert.All(alerts, a =>
        {
            Assert.IsType<string>(a["expr"]);
            Assert.Contains("severity", (Dictionary<string, object>)a["labels"]);
            Assert.Contains("summary", (Dictionary<string, object>)a["annotations"]);
            if (a.TryGetValue("for", out var wait)) Assert.Matches(@"^\d+[smhd]$", (string)wait);
        });
    }

    private static IEnumerable<(string Where, string Expr)> AlertExpressions(object rules) =>
        MonitoringFiles.AlertRules(rules).Select(a => ($"alert {a["alert"]}", (string)a["expr"]));
}
