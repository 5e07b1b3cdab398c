namespace Appliance.Nodes.Postgres;

/// <summary>A data directory belongs to a different cluster than the one it should join; it was left untouched.</summary>
internal sealed class ForeignDataDirectoryException(string dataDirectory, ulong local, ulong expected, string expectedFrom)
    : PostgresDriverException(
        $"Data directory {dataDirectory} belongs to another cluster: its system identifier is {local}, but {expectedFrom} " +
        $"has {expected}. The driver never overwrites another cluster's data. If that data is not needed, move the " +
        "directory away (or delete it) and the instance will be cloned afresh; otherwise point this instance at another data directory.")
{
    /// <summary>The identifier found in the data directory.</summary>
    public ulong LocalSystemIdentifier { get; } = local;

    /// <summary>The identifier of the cluster it should belong to.</summary>
    public ulong ExpectedSystemIdentifier { get; } = expected;
}
