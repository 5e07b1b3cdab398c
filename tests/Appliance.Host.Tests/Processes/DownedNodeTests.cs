using Appliance.Host.Node;

namespace Appliance.Host.Tests.Processes;

/// <summary>A node the cluster removes must say so in its exit code, so that a service manager starts it again.</summary>
[Trait("Category", "Cluster")]
public sealed class DownedNodeTests
{
    private const int SigStop = 19;
    private const int SigCont = 18;

    [Fact]
    public async Task A_node_paused_until_the_cluster_downs_it_exits_with_the_downed_code()
    {
        var cluster = new NodeClusterFixture();
        try
        {
            await cluster.InitializeAsync();
            var async = await cluster.NodeInRoleAsync("async");

            // The pause is the fault, not a wait: far longer than failure detection (2 s) plus the
            // split-brain resolver's stable-after (2 s), so the other two down it.
            async.Process!.Signal(SigStop);
            await Task.Delay(TimeSpan.FromSeconds(12));
            async.Process.Signal(SigCont);

            var code = await async.Process.WaitAsync(TimeSpan.FromSeconds(90));
            Assert.True(code == NodeExitCode.Downed,
                $"exit code {code}, expected {NodeExitCode.Downed}{cluster.Logs()}");
            Assert.Contains("was removed from the cluster", async.Process.Stdout);
        }
        finally
        {
            await cluster.DisposeAsync();
        }
    }
}
