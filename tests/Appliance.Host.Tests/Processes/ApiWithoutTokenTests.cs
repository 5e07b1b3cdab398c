using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Appliance.Nodes.Postgres;

namespace Appliance.Host.Tests.Processes;

/// <summary>
/// A node without <c>--api-token-file</c> takes changes from loopback only. One lone node (bound to 127.0.0.1; it needs
/// no cluster, since the door is passed or not before any handler runs) is called twice with the same request: from
/// loopback, and from this machine's own non-loopback address. Linux carries a connection from a local address to
/// 127.0.0.1 over lo, keeping that source address, so the node sees a non-loopback peer. 127.0.0.2 would not do: all
/// of 127.0.0.0/8 is loopback.
/// </summary>
[Trait("Category", "Cluster")]
public sealed class ApiWithoutTokenTests : IDisposable
{
    private readonly string _dir = ScratchDirectory.Create("host-");

    [Fact]
    public async Task Changes_are_taken_from_loopback_only_reads_from_anywhere_and_the_node_warns_at_start()
    {
        var source = NonLoopbackAddress();
        Assert.True(source is not null, "this test needs a non-loopback IPv4 address on this machine (such as eth0's) to call the node from");
        var httpPort = TestCluster.FreePort();
        var akkaPort = TestCluster.FreePort();
        await using var node = AppProcess.Start(
        [
            "node", "--name", "n1", "--akka-port", $"{akkaPort}", "--http-port", $"{httpPort}", "--pg-port", $"{TestCluster.FreePort()}",
            "--data-dir", Path.Combine(_dir, "n1"), "--seed-nodes", $"127.0.0.1:{akkaPort}",
            "--state-store", $"sqlite:{Path.Combine(_dir, "state.db")}", "--pg-password", "pw", "--exit-with-parent", $"{Environment.ProcessId}",
        ]);
        var url = $"http://127.0.0.1:{httpPort}";
        using var local = new HttpClient { Timeout = TimeSpan.FromSeconds(20) };
        using var remote = From(source!);
        await Eventually.TrueAsync(async () => (await local.GetAsync(url + "/status")).IsSuccessStatusCode,
            () => $"the node answers /status\nstdout:\n{node.Stdout}\nstderr:\n{node.Stderr}", TimeSpan.FromSeconds(60));

        // The same request, which the handler refuses (412: no instance count) once it gets past the door.
        const string scale = "{}";
        using (var r = await remote.PostAsync(url + "/scale", new StringContent(scale, Encoding.UTF8, "application/json")))
        {
            var body = await r.Content.ReadAsStringAsync();
            Assert.True(r.StatusCode == HttpStatusCode.Forbidden, $"{(int)r.StatusCode}: {body}");
            var error = JsonDocument.Parse(body).RootElement.GetProperty("error").GetString()!;
            Assert.Contains("configure --api-token-file", error, StringComparison.OrdinalIgnoreCase);
            Assert.Contains($"came from {source}", error);
        }
        using (var r = await local.PostAsync(url + "/scale", new StringContent(scale, Encoding.UTF8, "application/json")))
            Assert.Equal(HttpStatusCode.PreconditionFailed, r.StatusCode);
        using (var r = await remote.GetAsync(url + "/status"))
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);

        Assert.Contains("No --api-token-file", node.Stdout);
        node.Signal(ProcessSignal.Term);
        Assert.Equal(0, await node.WaitAsync(TimeSpan.FromSeconds(60)));
    }

    private static IPAddress? NonLoopbackAddress() =>
        NetworkInterface.GetAllNetworkInterfaces()
            .Where(i => i.OperationalStatus == OperationalStatus.Up && i.NetworkInterfaceType != NetworkInterfaceType.Loopback)
            .SelectMany(i => i.GetIPProperties().UnicastAddresses)
            .Select(a => a.Address)
            .FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork && !IPAddress.IsLoopback(a));

    /// <summary>An HTTP client whose connections leave from <paramref name="source"/>.</summary>
    private static HttpClient From(IPAddress source) => new(new SocketsHttpHandler
    {
        ConnectCallback = async (context, ct) =>
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                socket.Bind(new IPEndPoint(source, 0));
                await socket.ConnectAsync(context.DnsEndPoint, ct);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        },
    }) { Timeout = TimeSpan.FromSeconds(20) };

    public void Dispose() => ScratchDirectory.Delete(_dir);
}
