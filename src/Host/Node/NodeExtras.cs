using Appliance.Actors.Instance;
using Appliance.Nodes.State;

namespace Appliance.Host.Node;

/// <summary>The node options of issue 15 part 5: <c>--tag</c> and <c>--on-role-change</c>, read and handed to the node actor.</summary>
public static class NodeExtras
{
    /// <summary>Parses <c>--tag</c> (comma-separated) from the merged option values.</summary>
    /// <exception cref="NodeConfigurationException">An unknown tag.</exception>
    public static PeerTags Tags(IReadOnlyDictionary<string, string> values)
    {
        try
        {
            return PeerTagNames.Parse(values.GetValueOrDefault("tag"));
        }
        catch (FormatException e)
        {
            throw new NodeConfigurationException($"--tag: {e.Message}");
        }
    }

    /// <summary>The node actor's options with this node's tags, <c>--standby-of</c> and hook.</summary>
    public static DatabaseNodeSettings Apply(DatabaseNodeSettings node, NodeOptions options) => node with
    {
        Tags = options.Tags,
        StandbyOf = options.StandbyOf,
        OnRoleChange = options.OnRoleChange is { } command ? new RoleChangeHook(command, options.OnRoleChangeTimeout) : null,
    };
}
