namespace Appliance.Nodes.Postgres;

/// <summary>Another postmaster is running on this data directory.</summary>
internal sealed class InstanceAlreadyRunningException(string dataDirectory, int pid)
    : PostgresDriverException($"A PostgreSQL server (pid {pid}) is already running on {dataDirectory}. Stop it, or " +
                              "let this driver adopt the instance only after it has stopped.");
