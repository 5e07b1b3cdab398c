namespace Appliance.Nodes.Postgres;

/// <summary>A data directory or upstream runs a different PostgreSQL major version than the binaries.</summary>
internal sealed class WrongMajorVersionException(string what, int found, int expected, string binDirectory)
    : PostgresDriverException(
        $"{what} is PostgreSQL {found}, but the binaries in {binDirectory} are PostgreSQL {expected}. Nothing was changed. " +
        $"Install postgresql-{found} and set bin-dir to its bin directory, or upgrade the data with pg_upgrade first.")
{
    /// <summary>The major version found.</summary>
    public int Found { get; } = found;

    /// <summary>The major version of the binaries.</summary>
    public int Expected { get; } = expected;
}
