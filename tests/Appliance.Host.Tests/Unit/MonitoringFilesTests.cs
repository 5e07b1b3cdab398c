namespace Appliance.Host.Tests.Unit;

/// <summary>The reader behind the board and rules test: metric names out of PromQL, and the rules file's YAML subset.</summary>
[Trait("Category", "Unit")]
public sealed class MonitoringFilesTests
{
    [Fact]
    public void Metric_names_leave_out_functions_labels_ranges_strings_grouping_and_grafana_variables()
    {
        var names = MonitoringFiles.MetricNames(
            "histogram_quantile(0.95, sum by (le, peer) (rate(appliance_journal_write_seconds_bucket{job=~\"$job\", role=\"sync\"}[$__rate_interval])))"
            + " / on (peer) group_left max without (instance) (appliance_role offset 5m) and absent(up{job=\"a b\"} == 1) * 1e6");
        Assert.Equal(["appliance_journal_write_seconds_bucket", "appliance_role", "up"], names.Order());
    }

    [Fact]
    public void The_yaml_subset_reads_nested_mappings_sequences_and_quoted_scalars()
    {
        var doc = (Dictionary<string, object>)MonitoringFiles.ParseYaml("""
            # a comment
            groups:
              - name: g
                rules:
                  - alert: A
                    expr: 'sum(x{a="b"}) > 1'
                    labels:
                      severity: critical
                  - alert: "B: two"
                    for: 5m   # trailing comment
            """);
        var rules = (List<object>)((Dictionary<string, object>)((List<object>)doc["groups"])[0])["rules"];
        Assert.Equal(2, rules.Count);
        var a = (Dictionary<string, object>)rules[0];
        Assert.Equal("sum(x{a=\"b\"}) > 1", a["expr"]);
        Assert.Equal("critical", ((Dictionary<string, object>)a["labels"])["severity"]);
        Assert.Equal("B: two", ((Dictionary<string, object>)rules[1])["alert"]);
        Assert.Equal("5m", ((Dictionary<string, object>)rules[1])["for"]);
    }

    [Theory]
    [InlineData("a: 1\n\tb: 2", "line 2: a tab")]
    [InlineData("a:\n  b: 1\n    c: 2", "line 3: indented deeper")]
    [InlineData("a: 1\na: 2", "line 2: 'a' twice")]
    [InlineData("a: |\n  text", "line 1: block scalars")]
    [InlineData("a: 'open", "line 1: an unclosed single-quoted")]
    [InlineData("a: {b: 1}", "line 1: flow collections")]
    [InlineData("just words", "line 1: not 'key: value'")]
    public void Yaml_outside_the_subset_is_refused_with_its_line(string text, string expected)
    {
        var e = Assert.Throws<FormatException>(() => MonitoringFiles.ParseYaml(text));
        Assert.StartsWith(expected, e.Message);
    }
}
