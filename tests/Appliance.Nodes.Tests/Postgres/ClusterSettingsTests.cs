namespace Appliance.Nodes.Tests.Postgres;

/// <summary>
/// The driver's side of cluster-wide settings: written to <c>appliance-settings.conf</c> over the node's defaults,
/// reloaded at once, reported as pending where PostgreSQL needs a restart, and applied by a restart in the same role;
/// the appliance's own keys always win.
/// </summary>
[Trait("Category", "Postgres")]
public class ClusterSettingsTests
{
    [Fact]
    public async Task Settings_reload_at_once_restart_only_ones_are_pending_until_a_restart_and_owned_keys_win()
    {
        await using var cluster = new TestCluster();
        var node = await cluster.ReadOnlyPrimaryAsync(TestCluster.Peer("p"), TestCluster.Peer("s"));
        // The node's tuning is the default of the settings that used to be hard-coded.
        Assert.Equal("30", await Sql.ScalarAsync<string>(node, "SHOW max_connections"));
        Assert.Equal("16MB", await Sql.ScalarAsync<string>(node, "SHOW shared_buffers"));

        var applied = await node.ApplySettingsAsync(new Dictionary<string, string>
        {
            ["work_mem"] = "8MB", ["max_connections"] = "40",
            // Only the API and the rules keep owned keys out; here the file's order shows that the appliance's still win.
            ["synchronous_standby_names"] = "",
        }, default);
        Assert.True(applied.Changed);
        Assert.Equal(["max_connections"], applied.PendingRestart);
        Assert.Equal("8MB", await Sql.ScalarAsync<string>(node, "SHOW work_mem"));
        Assert.Equal("30", await Sql.ScalarAsync<string>(node, "SHOW max_connections"));
        Assert.Equal("FIRST 1 (\"s\")", (await node.Probe.ReadSettingAsync("synchronous_standby_names", default)).Value);
        Assert.Equal(["max_connections"], (await node.Probe.ReadStatusAsync(default)).PendingRestart);

        var again = await node.ApplySettingsAsync(node.ClusterSettings, default);
        Assert.False(again.Changed);

        Assert.True(await node.RestartAsync(default));
        Assert.Equal("40", await Sql.ScalarAsync<string>(node, "SHOW max_connections"));
        Assert.Equal("8MB", await Sql.ScalarAsync<string>(node, "SHOW work_mem"));
        Assert.Empty((await node.Probe.ReadStatusAsync(default)).PendingRestart);
        Assert.False((await node.Probe.ReadStatusAsync(default)).ReadWrite);   // restarted in its role: still a read-only primary
        Assert.True(await node.ReloadAsync(default));
    }
}
