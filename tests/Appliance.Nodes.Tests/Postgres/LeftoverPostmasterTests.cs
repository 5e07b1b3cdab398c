using Appliance.Nodes.Postgres;

namespace Appliance.Nodes.Tests.Postgres;

/// <summary>
/// Found by the chaos suite (KillPrimaryHost): after kill -9 of a node's host process its postmaster lived on, held
/// the port and the data directory, and every restart of the node failed with "port 5432 is already in use".
/// </summary>
[Trait("Category", "Postgres")]
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class LeftoverPostmasterTests
{
    [Fact]
    public async Task A_postmaster_left_by_a_dead_host_is_stopped_so_that_a_new_driver_can_start_the_directory_again()
    {
        await using var cluster = new TestCluster();
        var p = TestCluster.Peer("p");
        var node = await cluster.ReadOnlyPrimaryAsync(p);
        var orphan = node.Instance!.Pid;
        // The restarted host has a new driver on the same directory; the old postmaster still runs.
        var restarted = await cluster.NodeAsync(p, node.Settings);
        await Assert.ThrowsAsync<InstanceAlreadyRunningException>(() => restarted.StartPrimaryAsync(TestCluster.Peer("s"), default));

        var stopped = await LeftoverPostmaster.StopAsync(node.DataDirectory.Path, TimeSpan.FromSeconds(30), default);

        Assert.Equal(orphan, stopped);
        await node.Instance.Exited.WaitAsync(TimeSpan.FromSeconds(10));
        await restarted.StartPrimaryAsync(TestCluster.Peer("s"), default);
        Assert.True(restarted.IsRunning);
        Assert.Null(await LeftoverPostmaster.StopAsync(cluster.Path_ + "/nothing-here", TimeSpan.FromSeconds(1), default));
    }

    [Fact]
    public async Task A_pid_file_whose_process_is_not_a_postmaster_of_the_directory_is_left_alone()
    {
        await using var cluster = new TestCluster();
        var node = await cluster.NodeAsync(TestCluster.Peer("p"));
        await node.InitializeAsync(default);
        File.WriteAllText(node.DataDirectory.File("postmaster.pid"), $"{Environment.ProcessId}\n{node.DataDirectory.Path}\n");

        Assert.Null(await LeftoverPostmaster.StopAsync(node.DataDirectory.Path, TimeSpan.FromSeconds(1), default));
    }
}
