namespace Appliance.Nodes.Postgres;

/// <summary>An operation needs an initialised data directory and found none.</summary>
internal sealed class DataDirectoryNotInitializedException(string dataDirectory)
    : PostgresDriverException($"{dataDirectory} holds no PostgreSQL cluster (no PG_VERSION). Initialise it (first " +
                              "primary) or clone it from an upstream (standby) first.");
