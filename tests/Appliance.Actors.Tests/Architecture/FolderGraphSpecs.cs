namespace Appliance.Actors.Tests.Architecture;

/// <summary>What <see cref="FolderGraph"/> counts as a folder's types, on sources made up for the case.</summary>
[Trait("Category", "Unit")]
public sealed class FolderGraphSpecs
{
    /// <summary>
    /// <c>RoleChangeHook.Outcome</c> is reached through <c>RoleChangeHook</c>, so it is no type of its folder: a member
    /// called <c>Outcome</c>, by simple name in an inner folder or qualified (<c>Instance.Outcome</c>) in another, uses
    /// nothing there, while naming <c>RoleChangeHook</c> does. Braces in literals do not make a nested type look like
    /// a top-level one, and a namespace block's types are top-level too.
    /// </summary>
    [Fact]
    public void A_nested_type_name_makes_no_edge()
    {
        var graph = FolderGraph.Of(
        [
            ("src/Instance/RoleChangeHook.cs", """
                namespace Appliance.Instance;

                public sealed class RoleChangeHook
                {
                    private const string Closing = "} // not code";
                    private const char Opening = '{';

                    public sealed record Outcome(int? ExitCode);
                }
                """),
            ("src/Instance/HookKind.cs", """
                namespace Appliance.Instance
                {
                    public enum HookKind { Script }
                }
                """),
            ("src/Instance/Scripts/Script.cs", """
                namespace Appliance.Instance.Scripts;

                public sealed record Script(RoleChangeHook.Outcome Last, HookKind Kind)
                {
                    public string Outcome { get; init; } = "";
                }
                """),
            ("src/Node/Report.cs", """
                namespace Appliance.Node;

                public sealed class Report
                {
                    public static Report Instance { get; } = new();

                    public string Outcome { get; init; } = "";

                    public string Last => Instance.Outcome;
                }
                """),
        ]);

        Assert.Equal(["src/Instance/Scripts/Script.cs: HookKind", "src/Instance/Scripts/Script.cs: RoleChangeHook"],
            graph.Edges[("Appliance.Instance.Scripts", "Appliance.Instance")]);
        Assert.DoesNotContain(("Appliance.Node", "Appliance.Instance"), graph.Edges.Keys);
    }
}
