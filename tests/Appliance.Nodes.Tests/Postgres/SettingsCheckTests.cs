using Appliance.Nodes.Postgres;

namespace Appliance.Nodes.Tests.Postgres;

/// <summary>
/// Settings are checked by the PostgreSQL binary itself (<c>postgres -C</c> over the rendered file): names, types,
/// units, ranges and enums as the installed version knows them.
/// </summary>
[Trait("Category", "Postgres")]
public class SettingsCheckTests
{
    private static async Task<IReadOnlyList<string>> CheckAsync(params (string Name, string Value)[] settings) =>
        await SettingsCheck.ProblemsAsync(await PostgresBinaries.LocateAsync(null, CancellationToken.None),
            settings.ToDictionary(s => s.Name, s => s.Value), CancellationToken.None);

    [Fact]
    public async Task Values_PostgreSQL_accepts_pass()
    {
        Assert.Empty(await CheckAsync(("work_mem", "8MB"), ("max_connections", "200"), ("shared_buffers", "16MB"),
            ("wal_compression", "on"), ("search_path", "'$user', public"), ("log_line_prefix", "%m [%p] it's ")));
    }

    [Theory]
    [InlineData("work_mem", "8XB", "invalid value for parameter \"work_mem\"")]
    [InlineData("max_connections", "99999999", "outside the valid range for parameter \"max_connections\"")]
    [InlineData("wal_compression", "sometimes", "invalid value for parameter \"wal_compression\"")]
    [InlineData("enable_seqscan", "maybe", "requires a Boolean value")]
    [InlineData("no_such_setting", "1", "unrecognized configuration parameter \"no_such_setting\"")]
    public async Task A_value_PostgreSQL_would_not_start_with_is_named(string name, string value, string says)
    {
        var problems = await CheckAsync((name, value));
        Assert.Contains(problems, p => p.Contains(says, StringComparison.Ordinal));
        Assert.DoesNotContain(problems, p => p.Contains("contains errors", StringComparison.Ordinal));
    }

    [Fact]
    public void The_settings_file_quotes_every_value_and_the_node_defaults_are_overridden_by_the_cluster()
    {
        var effective = ClusterSettingsFile.Effective(new ServerTuning("16MB", 30, 10, "64MB"),
            new Dictionary<string, string> { ["max_connections"] = "120", ["search_path"] = "it's" });
        Assert.Equal(
            "# Written by the Appliance node from the cluster's settings (appliance config set). Do not edit.\n" +
            "max_connections = '120'\nsearch_path = 'it''s'\nshared_buffers = '16MB'\n",
            ClusterSettingsFile.Render(effective));
        Assert.Contains(ClusterSettingsFile.IncludeLine, ApplianceConfigFile.Render(new ApplianceConfig(
            new ServerParameters("127.0.0.1", 5432, "n1", 10), ApplianceConfig.SingletonPrimary("1GB"))));
    }
}
