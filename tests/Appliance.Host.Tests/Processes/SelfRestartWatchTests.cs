using System.Net;
using System.Net.Sockets;
using Appliance.Nodes.Tests.Postgres;

namespace Appliance.Host.Tests.Processes;

/// <summary>
/// A real node process whose other seed accepts TCP but never speaks Akka, so it can never get into the real cluster.
/// Each watch must stop it with exit code 75, so that its service manager starts a new incarnation.
/// </summary>
[Trait("Category", "Cluster")]
public sealed class SelfRestartWatchTests
{
    /// <summary>
    /// Found by the chaos suite: a restarted first seed node that no other seed answered in time joined itself and sat
    /// forever in a one-member cluster of its own, so the real cluster never got its third member back.
    /// </summary>
    [Fact]
    public Task A_first_seed_alone_in_a_cluster_of_its_own_stops_to_rejoin_while_another_seed_answers() =>
        AssertStopsToRestartAsync(selfIsFirstSeed: true, "alone in a cluster of its own");

    /// <summary>
    /// Found by the failover bench: a primary killed and restarted within seconds, on the same address, was answered by
    /// its peers but never heard them, and stayed outside the cluster for 5 minutes.
    /// </summary>
    [Fact]
    public Task A_node_that_stays_outside_the_cluster_while_a_seed_answers_stops_to_try_again() =>
        AssertStopsToRestartAsync(selfIsFirstSeed: false, "outside the cluster (not a member)");

    private static async Task AssertStopsToRestartAsync(bool selfIsFirstSeed, string logged)
    {
        var dir = Scratch.Create();
        using var deaf = new TcpListener(IPAddress.Loopback, 0);
        deaf.Start();
        var deafSeed = $"127.0.0.1:{((IPEndPoint)deaf.LocalEndpoint).Port}";
        var akkaPort = TestCluster.FreePort();
        var self = $"127.0.0.1:{akkaPort}";
        // First seed: its join times out and it joins itself. Otherwise it waits for the first seed for good.
        var seeds = selfIsFirstSeed ? $"{self},{deafSeed}" : $"{deafSeed},{self}";
        await using var node = AppProcess.Start(
        [
            "node", "--name", "n1", "--akka-port", $"{akkaPort}", "--http-port", $"{TestCluster.FreePort()}",
            "--pg-port", $"{TestCluster.FreePort()}", "--data-dir", Path.Combine(dir, "n1"),
            "--seed-nodes", seeds, "--state-store", $"sqlite:{Path.Combine(dir, "state.db")}",
            "--exit-with-parent", $"{Environment.ProcessId}",
        ], new Dictionary<string, string> { ["APPLIANCE_PG_PASSWORD"] = "pw" });

        var code = await node.WaitAsync(TimeSpan.FromSeconds(150));

        Assert.Equal(75, code);
        Assert.Contains(logged, node.Stdout + node.Stderr);
        try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
    }
}
