using Xunit.Abstractions;

namespace Appliance.Actors.Tests.Architecture;

/// <summary>
/// No two folders of <c>src/</c> depend on each other, directly or around a loop (issue 19): a folder cycle means
/// neither can be read, tested or moved without the other. The check reads the sources (<see cref="FolderGraph"/>).
/// It has no exceptions: a cycle is broken by moving the type that closes it to where it belongs.
/// </summary>
[Trait("Category", "Unit")]
public sealed class FolderCycleSpecs(ITestOutputHelper output)
{
    private static readonly FolderGraph Graph = FolderGraph.Read(Repository.Root());

    [Fact]
    public void No_folder_of_src_depends_on_itself_through_others()
    {
        // A reader that found nothing would pass: it must at least see the serializer's use of the coordinator's events.
        Assert.Contains(("Appliance.Actors.Serialization", "Appliance.Actors.Coordinator"), Graph.Edges.Keys);

        var cycle = Graph.FindCycle();

        if (cycle is not null) output.WriteLine(Graph.Describe(cycle));
        Assert.True(cycle is null, cycle is null ? null : $"Folder cycle: {Graph.Describe(cycle)}");
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
