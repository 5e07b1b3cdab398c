namespace Appliance.Actors.Node;

/// <summary>How many database members this node's cluster view shows, and how many of them it reaches.</summary>
/// <param name="Reachable">Up database members (this node included) that the failure detector reaches.</param>
/// <param name="Total">Up database members in the view.</param>
internal readonly record struct MajorityView(int Reachable, int Total)
{
    /// <summary>
    /// More than half reachable. An empty view (not clustered, or not joined yet) does not count against the node:
    /// it has no coordinator contact either, and that lease is what fences it then.
    /// </summary>
    public bool HasMajority => Total == 0 || Reachable * 2 > Total;

    /// <inheritdoc />
    public override string ToString() => $"{Reachable} of {Total} database members reachable";
}
