namespace Appliance.Nodes.Postgres;

/// <summary>The requested role change is not possible from the instance's present state.</summary>
public sealed class InvalidRoleTransitionException(string message) : PostgresDriverException(message);
