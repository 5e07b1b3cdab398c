using System.Net;
using System.Net.Sockets;

namespace Appliance.Host.Node;

/// <summary>Checks that a node's ports can be bound before anything starts, so a port in use is a clear error.</summary>
public static class NodePorts
{
    /// <summary>Fails with a clear message if any of the node's three ports is taken.</summary>
    /// <exception cref="NodeConfigurationException">A port is in use, or the host cannot be bound.</exception>
    public static void CheckPortsFree(NodeOptions options)
    {
        foreach (var (flag, port) in new[] { ("--pg-port", options.PgPort), ("--http-port", options.HttpPort), ("--akka-port", options.AkkaPort) })
        {
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                socket.Bind(new IPEndPoint(ListenAddress(options.Host), port));
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressAlreadyInUse)
            {
                throw new NodeConfigurationException(
                    $"{flag} {port}: port {port} on {options.Host} is already in use (another node, or another program). Stop it (ss -ltnp sport = :{port}) or choose another {flag}.");
            }
            catch (SocketException e)
            {
                throw new NodeConfigurationException($"--host {options.Host}: cannot bind {options.Host}:{port} ({e.Message}). Give an address of this machine.");
            }
        }
        var distinct = new[] { options.PgPort, options.HttpPort, options.AkkaPort }.Distinct().Count();
        if (distinct != 3)
            throw new NodeConfigurationException($"--pg-port {options.PgPort}, --http-port {options.HttpPort} and --akka-port {options.AkkaPort} must all differ.");
        // The pgBackRest server's port is not checked for being free: a server a killed node left behind may hold it,
        // and the node's supervision of its own server says so in its log.
        if (options is { Backup: { } backup, Tls: not null } && new[] { options.PgPort, options.HttpPort, options.AkkaPort }.Contains(backup.ServerPort))
            throw new NodeConfigurationException(
                $"--backup-server-port {backup.ServerPort} is also the node's --pg-port, --http-port or --akka-port; give the pgBackRest server a port of its own.");
    }

    /// <summary>True if nothing listens on <paramref name="address"/>:<paramref name="port"/> (TCP).</summary>
    public static bool PortFree(IPAddress address, int port)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try { socket.Bind(new IPEndPoint(address, port)); return true; }
        catch (SocketException) { return false; }
    }

    /// <summary>The IPv4 address to bind for <paramref name="host"/>, with a clear error when it has none.</summary>
    public static IPAddress ListenAddress(string host)
    {
        if (IPAddress.TryParse(host, out var ip)) return ip;
        try
        {
            return Dns.GetHostAddresses(host).FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork)
                   ?? throw new NodeConfigurationException($"--host {host} has no IPv4 address. Give an IP address of this machine.");
        }
        catch (SocketException e)
        {
            throw new NodeConfigurationException($"--host {host} cannot be resolved ({e.Message}). Give an IP address of this machine.");
        }
    }
}
