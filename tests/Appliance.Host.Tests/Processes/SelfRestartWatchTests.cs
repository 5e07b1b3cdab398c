using System.Net;
using System.Net.Sockets;

namespace Appliance.Host.Tests.Processes;

/// <summary>
/// A real node process whose other seed accepts TCP but never speaks Akka, so it can never get into a real cluster.
/// </summary>
[Trait("Category", "Cluster")]
public sealed class SelfRestartWatchTests
{
    /// <summary>
    /// Found by the failover bench: a primary killed and restarted within seconds, on the same address, was answered by
    /// its peers but never heard them, and stayed outside the cluster for 5 minutes. <c>JoinWatch</c> must stop such a
    /// node with exit code 75, so that its service manager starts a new incarnation. The node is the first seed: under
    /// Akka's seed process it joined itself after seed-node-timeout and sat in a cluster of its own (the chaos suite's
    /// island); the formation rule must never let a node form a cluster without a quorum of seeds answering.
    /// </summary>
    [Fact]
    public async Task A_first_seed_that_no_other_seed_answers_forms_no_cluster_and_stops_to_try_again()
    {
        var dir = ScratchDirectory.Create("host-");
        using var deaf = new TcpListener(IPAddress.Loopback, 0);
        deaf.Start();
        var deafSeed = $"127.0.0.1:{((IPEndPoint)deaf.LocalEndpoint).Port}";
        var akkaPort = TestCluster.FreePort();
        // The watch's patience from the config file: a third of the reference's 60 s, and longer than formation's
        // silent-seeds-join-after (10 s) and vote-pause (12 s). What is tested is the condition, the confirmation and the
        // exit, not the length of the wait.
        var config = Path.Combine(dir, "node.conf");
        File.WriteAllText(config, "appliance.self-restart.join-patience = 20s\n");
        await using var node = AppProcess.Start(
        [
            "node", "--config", config, "--name", "n1", "--akka-port", $"{akkaPort}", "--http-port", $"{TestCluster.FreePort()}",
            "--pg-port", $"{TestCluster.FreePort()}", "--data-dir", Path.Combine(dir, "n1"),
            "--seed-nodes", $"127.0.0.1:{akkaPort},{deafSeed}", "--state-store", $"sqlite:{Path.Combine(dir, "state.db")}",
            "--exit-with-parent", $"{Environment.ProcessId}",
        ], new Dictionary<string, string> { ["APPLIANCE_PG_PASSWORD"] = "pw" });

        var code = await node.WaitAsync(TimeSpan.FromSeconds(150));

        Assert.Equal(75, code);
        var output = node.Stdout + node.Stderr;
        Assert.Contains("outside the cluster (not a member)", output);
        Assert.Contains("1 of 2 seeds name this node to form the cluster; that needs 2", output);
        Assert.DoesNotContain("JOINING itself", output);
        try { ScratchDirectory.Delete(dir); } catch (IOException) { }
    }
}
