namespace Appliance.Nodes.Postgres;

/// <summary>What a data directory holds, read without a server.</summary>
public enum DataDirectoryKind
{
    /// <summary>It does not exist, or is an empty directory: ready for initdb or a clone.</summary>
    Empty,

    /// <summary>It holds a PostgreSQL cluster.</summary>
    Cluster,

    /// <summary>It holds files, but no PostgreSQL cluster (no PG_VERSION).</summary>
    Other,
}
