namespace Appliance.Nodes.Postgres;

/// <summary>Another process listens on the port this instance must use.</summary>
internal sealed class PortInUseException(string host, int port, string detail)
    : PostgresDriverException($"Port {port} on {host} is already in use, so PostgreSQL cannot listen there. " +
                              $"Stop whatever holds it (try 'ss -ltnp sport = :{port}') or give this instance another --pg-port. {detail}".TrimEnd())
{
    /// <summary>The port.</summary>
    public int Port { get; } = port;
}
