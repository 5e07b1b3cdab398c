namespace Appliance.Nodes.Postgres;

/// <summary>A written setting did not take effect after a reload (for example ALTER SYSTEM overrides it).</summary>
internal sealed class ConfigurationNotAppliedException(string message) : PostgresDriverException(message);
