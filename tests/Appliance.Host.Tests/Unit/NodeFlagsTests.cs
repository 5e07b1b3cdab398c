using Appliance.Host.Node;
using Appliance.Launch;

namespace Appliance.Host.Tests.Unit;

/// <summary>
/// <see cref="NodeFlags"/> spells the flags of <c>appliance node</c> for every launcher (the demo, the bench, the chaos
/// harness, the process tests): each must be one the node verb of <see cref="CommandLine"/> takes, with its value.
/// </summary>
[Trait("Category", "Unit")]
public sealed class NodeFlagsTests
{
    /// <summary>Every flag set: the optional ones and an extra one.</summary>
    private static readonly NodeFlags Full = new("n1", 7001, 8001, 6001, "/var/lib/appliance/n1", ["10.0.0.1:7001", "10.0.0.2:7001"], "sqlite:/tmp/state.db")
    {
        Host = "10.0.0.1",
        ExitWithParent = 4242,
        Extra = ["--rejoin", "manual"],
    };

    [Fact]
    public void The_verb_comes_first_then_the_common_flags_then_the_extra_ones()
    {
        Assert.Equal(
        [
            "node", "--name", "n1", "--host", "10.0.0.1", "--akka-port", "7001", "--http-port", "8001", "--pg-port", "6001",
            "--data-dir", "/var/lib/appliance/n1", "--seed-nodes", "10.0.0.1:7001,10.0.0.2:7001", "--state-store", "sqlite:/tmp/state.db",
            "--exit-with-parent", "4242", "--rejoin", "manual",
        ], Full.Arguments());
    }

    [Fact]
    public void Without_a_host_or_a_parent_the_node_keeps_its_defaults()
    {
        var bare = Full with { Host = null, ExitWithParent = null, Extra = [] };

        Assert.Equal(
        [
            "node", "--name", "n1", "--akka-port", "7001", "--http-port", "8001", "--pg-port", "6001",
            "--data-dir", "/var/lib/appliance/n1", "--seed-nodes", "10.0.0.1:7001,10.0.0.2:7001", "--state-store", "sqlite:/tmp/state.db",
        ], bare.Arguments());
    }

    [Fact]
    public void Every_flag_it_renders_is_one_the_node_verb_takes()
    {
        var arguments = Full.Arguments();

        Assert.All(arguments.Where(a => a.StartsWith("--", StringComparison.Ordinal)),
            flag => Assert.Contains(flag[2..], NodeOptionsLoader.Keys));
        var parse = CommandLine.Build().Parse([.. arguments]);
        Assert.Empty(parse.Errors);
        Assert.Empty(parse.UnmatchedTokens);
        Assert.Equal("node", parse.CommandResult.Command.Name);
        Assert.Equal("10.0.0.1:7001,10.0.0.2:7001", parse.GetValue<string?>("--seed-nodes"));
        Assert.Equal("4242", parse.GetValue<string?>("--exit-with-parent"));
    }
}
