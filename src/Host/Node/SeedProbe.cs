using System.Globalization;
using System.Net.Sockets;

namespace Appliance.Host.Node;

/// <summary>Whether another seed node's process is up: something accepts a TCP connection on its Akka port.</summary>
internal static class SeedProbe
{
    /// <summary>The first seed other than this node that accepts a connection within a second, or null.</summary>
    public static async Task<string?> AnotherSeedAnswersAsync(NodeOptions options, CancellationToken ct)
    {
        foreach (var seed in options.SeedNodes.Where(s => s != $"{options.Host}:{options.AkkaPort}"))
        {
            var parts = seed.Split(':');
            using var client = new TcpClient();
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(1));
            try
            {
                await client.ConnectAsync(parts[0], int.Parse(parts[1], CultureInfo.InvariantCulture), timeout.Token);
                return seed;
            }
            catch (Exception e) when (e is SocketException or OperationCanceledException) { }
        }
        return null;
    }
}
