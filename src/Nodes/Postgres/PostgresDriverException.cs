namespace Appliance.Nodes.Postgres;

// The driver's error types derive from this one, each in a file of its own. Each message says what was wrong and what
// to do; none of them is thrown after the driver has destroyed data.

/// <summary>Base of every error the PostgreSQL driver reports.</summary>
public class PostgresDriverException : Exception
{
    /// <summary>Creates the error.</summary>
    public PostgresDriverException(string message, Exception? inner = null) : base(message, inner) { }
}
