using System.Collections.Immutable;
using Appliance.Nodes.Placement;
using Appliance.Nodes.State;

namespace Appliance.Nodes.Tests.Placement;

[Trait("Category", "Unit")]
public class PlacementRulesTests
{
    private static Dictionary<string, ImmutableArray<string>> Hosts(params (string Host, string[] Instances)[] hosts) =>
        hosts.ToDictionary(h => h.Host, h => h.Instances.ToImmutableArray());

    [Fact]
    public void An_instance_goes_to_an_empty_host()
    {
        var hosts = Hosts(("a", ["pg-1"]), ("b", []), ("c", ["pg-2"]));
        Assert.Equal("b", PlacementRules.ChooseHost("pg-3", hosts, allowColocation: false));
    }

    [Fact]
    public void The_requester_wins_a_tie_between_empty_hosts_then_the_name()
    {
        var hosts = Hosts(("a", []), ("b", []), ("c", []));
        Assert.Equal("c", PlacementRules.ChooseHost("pg-1", hosts, false, requester: "c"));
        Assert.Equal("a", PlacementRules.ChooseHost("pg-1", hosts, false, requester: "zz"));
    }

    [Fact]
    public void Without_colocation_an_instance_stays_unplaced_when_every_host_is_taken()
    {
        var hosts = Hosts(("a", ["pg-1"]), ("b", ["pg-2"]));
        Assert.Null(PlacementRules.ChooseHost("pg-3", hosts, allowColocation: false));
    }

    [Fact]
    public void With_colocation_an_instance_goes_to_the_least_loaded_host()
    {
        var hosts = Hosts(("a", ["pg-1", "pg-4"]), ("b", ["pg-2"]));
        Assert.Equal("b", PlacementRules.ChooseHost("pg-3", hosts, allowColocation: true));
    }

    [Fact]
    public void A_placed_instance_stays_where_it_is()
    {
        var hosts = Hosts(("a", ["pg-1"]), ("b", []));
        Assert.Equal("a", PlacementRules.ChooseHost("pg-1", hosts, allowColocation: false));
    }

    [Fact]
    public void No_hosts_means_no_placement()
    {
        Assert.Null(PlacementRules.ChooseHost("pg-1", Hosts(), allowColocation: true));
    }

    [Fact]
    public void A_colocated_instance_moves_to_an_empty_host_one_at_a_time()
    {
        var hosts = Hosts(("a", ["pg-1", "pg-3"]), ("b", ["pg-2"]), ("c", []));
        Assert.Equal(["pg-3"], PlacementRules.ToMove(hosts, new HashSet<string>()).ToArray());
        Assert.Empty(PlacementRules.ToMove(hosts, new HashSet<string> { "pg-3" }));
    }

    [Fact]
    public void Nothing_moves_without_an_empty_host_or_without_colocation()
    {
        Assert.Empty(PlacementRules.ToMove(Hosts(("a", ["pg-1", "pg-3"]), ("b", ["pg-2"])), new HashSet<string>()));
        Assert.Empty(PlacementRules.ToMove(Hosts(("a", ["pg-1"]), ("b", []), ("c", ["pg-2"])), new HashSet<string>()));
    }

    [Fact]
    public void Colocated_lists_hosts_with_more_than_one_instance()
    {
        var colocated = PlacementRules.Colocated(Hosts(("a", ["pg-1", "pg-3"]), ("b", ["pg-2"])));
        Assert.Equal(["a"], colocated.Keys.ToArray());
    }

    [Fact]
    public void Instance_ids_ports_and_incarnations()
    {
        Assert.Equal(["pg-1", "pg-2", "pg-3"], InstanceIds.For(3));
        Assert.Equal(3, InstanceIds.NumberOf("pg-3"));
        Assert.Null(InstanceIds.NumberOf("node1"));
        Assert.Null(InstanceIds.NumberOf("pg-0"));
        Assert.Equal(15434, InstanceIds.PortOf("pg-3", 15432));
        Assert.Equal("pg-3.host-b", InstanceIds.Incarnation("pg-3", "host-b"));
        Assert.Equal("pg-3", InstanceIds.InstanceOf("pg-3.host-b"));
        Assert.Equal("pg-3", InstanceIds.InstanceOf("pg-3"));
        Assert.Throws<ArgumentException>(() => InstanceIds.Incarnation("pg-3", "bad host"));
        Assert.Throws<ArgumentException>(() => InstanceIds.PortOf("pg-3", 65534));
    }
}
