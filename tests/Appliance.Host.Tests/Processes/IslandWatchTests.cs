using System.Net;
using System.Net.Sockets;
using Appliance.Nodes.Tests.Postgres;

namespace Appliance.Host.Tests.Processes;

/// <summary>
/// Found by the chaos suite: a restarted first seed node that no other seed answered in time joined itself and sat
/// forever in a one-member cluster of its own, so the real cluster never got its third member back.
/// </summary>
[Trait("Category", "Cluster")]
public sealed class IslandWatchTests
{
    [Fact]
    public async Task A_first_seed_alone_in_a_cluster_of_its_own_stops_to_rejoin_while_another_seed_answers()
    {
        var dir = Scratch.Create();
        // The other seed's port accepts TCP but never speaks Akka: the first seed's join times out and it joins itself.
        using var deaf = new TcpListener(IPAddress.Loopback, 0);
        deaf.Start();
        var deafPort = ((IPEndPoint)deaf.LocalEndpoint).Port;
        var akkaPort = TestCluster.FreePort();
        await using var node = AppProcess.Start(
        [
            "node", "--name", "n1", "--akka-port", $"{akkaPort}", "--http-port", $"{TestCluster.FreePort()}",
            "--pg-port", $"{TestCluster.FreePort()}", "--data-dir", Path.Combine(dir, "n1"),
            "--seed-nodes", $"127.0.0.1:{akkaPort},127.0.0.1:{deafPort}", "--state-store", $"sqlite:{Path.Combine(dir, "state.db")}",
            "--exit-with-parent", $"{Environment.ProcessId}",
        ], new Dictionary<string, string> { ["APPLIANCE_PG_PASSWORD"] = "pw" });

        var code = await node.WaitAsync(TimeSpan.FromSeconds(120));

        Assert.Equal(75, code);
        Assert.Contains("alone in a cluster of its own", node.Stdout + node.Stderr);
        try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
    }
}
