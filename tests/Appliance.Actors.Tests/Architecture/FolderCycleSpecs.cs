using Xunit.Abstractions;

namespace Appliance.Actors.Tests.Architecture;

/// <summary>
/// No two folders of <c>src/</c> depend on each other, directly or around a loop (issue 19): a folder cycle means
/// neither can be read, tested or moved without the other. The check reads the sources (<see cref="FolderGraph"/>).
/// </summary>
[Trait("Category", "Unit")]
public sealed class FolderCycleSpecs(ITestOutputHelper output)
{
    /// <summary>
    /// The cycles that were there before this check and need work outside this test to break; each entry names the
    /// edge that goes against the intended direction. Remove an entry when its edge is gone (the second test says so);
    /// never add one to make a new cycle pass.
    /// </summary>
    private static readonly (string From, string To, string Why)[] KnownBackEdges =
    [
        ("Appliance.Nodes.Postgres", "Appliance.Nodes.Backup",
            "the driver clones and restores through pgBackRest, whose wrapper in turn uses the driver's types"),
        ("Appliance.Actors.Node.Roles", "Appliance.Actors.Node",
            "the role actors take the node's IDatabaseInstance and DatabaseNodeSettings, which live with DatabaseNodeActor"),
        ("Appliance.Host.Api.Access", "Appliance.Host.Api", "the access rules write their refusals with ApiJson"),
        ("Appliance.Host.Tls", "Appliance.Host.Node", "NodeCertificate throws NodeConfigurationException and reads keys with SecretFile"),
    ];

    private static readonly FolderGraph Graph = FolderGraph.Read(Repository.Root());

    [Fact]
    public void No_folder_of_src_depends_on_itself_through_others()
    {
        // A reader that found nothing would pass: it must at least see the serializer's use of the coordinator's events.
        Assert.Contains(("Appliance.Actors.Serialization", "Appliance.Actors.Coordinator"), Graph.Edges.Keys);

        var cycle = Graph.FindCycle(KnownBackEdges.Select(e => (e.From, e.To)).ToHashSet());

        if (cycle is not null) output.WriteLine(Graph.Describe(cycle));
        Assert.True(cycle is null, cycle is null ? null : $"Folder cycle: {Graph.Describe(cycle)}");
    }

    [Fact]
    public void Every_known_back_edge_is_still_there()
    {
        var gone = KnownBackEdges.Where(e => !Graph.Edges.ContainsKey((e.From, e.To))).Select(e => $"{e.From} -> {e.To}").ToList();

        Assert.True(gone.Count == 0, $"No longer used, so remove from KnownBackEdges: {string.Join(", ", gone)}");
    }

    /// <summary>The rules are the pure core: they may use each other, never the driver, the actors or the host.</summary>
    [Fact]
    public void The_rules_use_no_other_folder()
    {
        string[] rules = ["Appliance.Nodes.State", "Appliance.Nodes.Placement"];
        Assert.Contains(("Appliance.Nodes.Placement", "Appliance.Nodes.State"), Graph.Edges.Keys);   // the reader sees them

        var outward = Graph.Edges.Where(e => rules.Contains(e.Key.From) && !rules.Contains(e.Key.To))
            .Select(e => $"{e.Key.From} -> {e.Key.To} ({string.Join(", ", e.Value)})").ToList();

        Assert.True(outward.Count == 0, $"The rules reach outside themselves: {string.Join("; ", outward)}");
    }
}
