namespace Appliance.Nodes.Postgres;

/// <summary>pgBackRest failed; the message holds its own error lines.</summary>
public sealed class PgBackRestException(string message) : PostgresDriverException(message);
