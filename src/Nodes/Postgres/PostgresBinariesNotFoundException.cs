namespace Appliance.Nodes.Postgres;

/// <summary>No usable PostgreSQL installation was found.</summary>
internal sealed class PostgresBinariesNotFoundException(string message) : PostgresDriverException(message);
