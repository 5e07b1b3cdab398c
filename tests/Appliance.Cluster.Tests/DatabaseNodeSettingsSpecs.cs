using Akka.Actor;
using Appliance.Actors.Protocol;
using Appliance.Nodes.State;

namespace Appliance.Cluster.Tests;

/// <summary>
/// The node actor's part in cluster-wide settings (the other part of this class): a state's settings reach every node
/// with a reload, a restart-only one is reported pending, and a node command restarts a standby (never the primary)
/// in its role, after which it streams again.
/// </summary>
public sealed partial class DatabaseNodeActorSpecs
{
    private Task<NodeCommandProtocol.Outcome> Command(string peer, NodeCommandProtocol.Action action) =>
        _nodes.Actors[peer].Ask<NodeCommandProtocol.Outcome>(new NodeCommandProtocol.Command(peer, action), TimeSpan.FromSeconds(90));

    [Fact]
    public async Task Settings_of_a_state_reach_every_node_and_a_standby_restarts_on_command_while_the_primary_refuses()
    {
        await _nodes.StartAsync(Sys, TestActor, RejoinPolicy.Auto, NodeActorHarness.Options, "n1", "n2", "n3");
        var first = _nodes.State(1, 1, "n1", "n2", ["n3"]);
        _nodes.Publish(first);
        await _nodes.UntilAsync("n1", s => s.ReadWrite, "primary takes writes");
        await Sql.ExecAsync(_nodes.Drivers["n1"], "CREATE TABLE t (id int primary key)");
        // Running before the settings arrive (a node that starts after them starts with them: nothing is pending).
        await _nodes.UntilAsync("n3", s => s.AppliedRole == PeerRole.Async && s.Status is { ReceivedLsn: not null }, "async streams");

        var withSettings = first with { Version = 2, Settings = ClusterState.NoSettings.Add("work_mem", "8MB").Add("max_connections", "40") };
        _nodes.Publish(withSettings);
        foreach (var id in new[] { "n1", "n2", "n3" })
        {
            await Eventually.TrueAsync(async () => await Sql.ScalarAsync<string>(_nodes.Drivers[id], "SHOW work_mem") == "8MB",
                $"{id} shows work_mem = 8MB", TimeSpan.FromSeconds(30));
            await _nodes.UntilAsync(id, s => s.Status?.PendingRestart.Contains("max_connections") == true, "reports max_connections pending");
        }

        var refused = await Command("n1", NodeCommandProtocol.Action.Restart);
        Assert.False(refused.Done);
        Assert.Contains("primary", refused.Detail);
        Assert.Equal("30", await Sql.ScalarAsync<string>(_nodes.Drivers["n1"], "SHOW max_connections"));

        var restarted = await Command("n3", NodeCommandProtocol.Action.RestartIfPending);
        Assert.True(restarted.Done, restarted.Detail);
        Assert.Equal("40", await Sql.ScalarAsync<string>(_nodes.Drivers["n3"], "SHOW max_connections"));
        await _nodes.UntilAsync("n3", s => s.Status is { PendingRestart.Count: 0 }, "no restart pending");
        var again = await Command("n3", NodeCommandProtocol.Action.RestartIfPending);
        Assert.False(again.Done);
        Assert.Contains("no restart pending", again.Detail);

        // It streams again in its role.
        await Sql.ExecAsync(_nodes.Drivers["n1"], "INSERT INTO t VALUES (7)");
        await Sql.HasRowAsync(_nodes.Drivers["n3"], 7);
        Assert.True((await Command("n2", NodeCommandProtocol.Action.Reload)).Done);
    }
}
