using Appliance.Host.Node;
using Appliance.Nodes.State;

namespace Appliance.Host.Tests.Unit;

/// <summary><c>--standby-of</c>: a standby cluster's source, read and checked before anything starts.</summary>
[Trait("Category", "Unit")]
public sealed class StandbyOfOptionTests
{
    private static NodeOptions Build(Dictionary<string, string> extra) =>
        NodeOptionsLoader.Build([NodeOptionsLoaderTests.Minimal, extra], null, _ => "generated");

    [Fact]
    public void Absent_means_a_normal_cluster()
    {
        Assert.Null(Build([]).StandbyOf);
        Assert.Null(Build(new() { ["standby-of"] = " " }).StandbyOf);
    }

    [Fact]
    public void Hosts_are_read_in_order_with_their_ports()
    {
        var o = Build(new() { ["standby-of"] = "10.0.0.5:5432, db-b:6543,[fd00::7]:5433" });
        Assert.Equal([new SourceHost("10.0.0.5", 5432), new SourceHost("db-b", 6543), new SourceHost("fd00::7", 5433)], o.StandbyOf!.Hosts.ToArray());
        Assert.Equal("10.0.0.5:5432,db-b:6543,[fd00::7]:5433", o.StandbyOf.ToString());
        Assert.Equal(o.StandbyOf, StandbySource.Parse(o.StandbyOf.ToString()));
    }

    [Theory]
    [InlineData("10.0.0.5", "'10.0.0.5' is not HOST:PORT")]
    [InlineData("10.0.0.5:", "'10.0.0.5:' is not HOST:PORT")]
    [InlineData(":5432", "':5432' is not HOST:PORT")]
    [InlineData("10.0.0.5:0", "port '0'")]
    [InlineData("10.0.0.5:70000", "port '70000'")]
    [InlineData("10.0.0.5:54x", "port '54x'")]
    [InlineData("fd00::7:5432", "brackets")]
    [InlineData("a:1,,b:2", "'' is not HOST:PORT")]
    [InlineData("a:1,a:1", "'a:1' is given twice")]
    [InlineData("a b:1", "no usable host")]
    public void A_malformed_source_is_refused_naming_the_entry(string text, string expected)
    {
        var e = Assert.Throws<NodeConfigurationException>(() => Build(new() { ["standby-of"] = text }));
        Assert.StartsWith("--standby-of: ", e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void Singleton_mode_is_refused()
    {
        var e = Assert.Throws<NodeConfigurationException>(() => Build(new() { ["standby-of"] = "a:1", ["mode"] = "singleton" }));
        Assert.Contains("singleton", e.Message);
    }

    [Fact]
    public void A_backup_repository_is_refused_on_a_standby_cluster()
    {
        var e = Assert.Throws<NodeConfigurationException>(() => Build(new() { ["standby-of"] = "a:1", ["backup-repo"] = "/backups/dr" }));
        Assert.Contains("--standby-of: a standby cluster takes no backups yet", e.Message);
    }

    [Fact]
    public void Standby_networks_are_cidrs_and_a_bare_or_malformed_one_is_refused()
    {
        Assert.Empty(Build([]).StandbyNetworks);
        Assert.Equal(["10.1.0.0/24", "fd00::/64"], Build(new() { ["standby-networks"] = "10.1.0.0/24, fd00::/64" }).StandbyNetworks);
        foreach (var bad in new[] { "10.1.0.7", "10.1.0.0/33", "dr-site/24" })
        {
            var e = Assert.Throws<NodeConfigurationException>(() => Build(new() { ["standby-networks"] = bad }));
            Assert.Contains($"--standby-networks: '{bad}' is not a CIDR network", e.Message);
        }
    }
}
