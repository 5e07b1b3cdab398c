namespace Appliance.Nodes.State;

/// <summary>A cluster state broke one of the structural rules of <see cref="ClusterState.Validate"/>.</summary>
internal sealed class InvalidClusterStateException : Exception
{
    /// <summary>Creates the exception from the list of problems found.</summary>
    public InvalidClusterStateException(IReadOnlyList<string> problems)
        : base("Invalid cluster state: " + string.Join("; ", problems))
    {
        Problems = problems;
    }

    /// <summary>Every problem found, one sentence each.</summary>
    public IReadOnlyList<string> Problems { get; }
}
