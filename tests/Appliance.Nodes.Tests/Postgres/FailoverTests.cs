using Appliance.Nodes.Postgres;

namespace Appliance.Nodes.Tests.Postgres;

/// <summary>Reference §D.3 TestRemoveNodes: the chain closes over a dead member, and the sync takes over.</summary>
[Trait("Category", "Postgres")]
public sealed class FailoverTests
{
    [Fact]
    public async Task A_dead_async_is_bridged_by_repointing_its_downstream_without_a_restart()
    {
        await using var cluster = new TestCluster();
        var chain = await Chain.BuildAsync(cluster, "p", "s", "a0", "a1");
        var (primary, sync, async0, async1) = (chain[0], chain[1], chain[2], chain[3]);

        await async0.KillAsync(default);
        var pidBefore = async1.Instance!.Pid;
        await async1.FollowAsync(chain.Peers[1], null, null, default);
        Assert.Equal(pidBefore, async1.Instance!.Pid);
        Assert.True(async1.IsRunning);

        await Sql.ExecAsync(primary, "INSERT INTO t VALUES (2)");
        await Sql.HasRowAsync(async1, 2);
        await Eventually.TrueAsync(async () => (await sync.Probe.ReadDownstreamsAsync(default)).Any(d => d.ApplicationName == "a1"),
            "a1 streams from s");
    }

    [Fact]
    public async Task A_standby_fenced_again_stays_fenced_at_the_same_position_and_follows_once_lifted()
    {
        // Found by the divergence chaos schedule: a second fence of a standby that already had no upstream was refused
        // ("not a running standby"), and every takeover probe after it failed for minutes.
        await using var cluster = new TestCluster();
        var chain = await Chain.BuildAsync(cluster, "p", "s");
        var (primary, sync) = (chain[0], chain[1]);

        var first = await sync.StopReceivingAsync(default);
        var second = await sync.StopReceivingAsync(default);

        Assert.Equal(first, second);
        await Eventually.TrueAsync(async () => (await primary.Probe.ReadDownstreamsAsync(default)).Count == 0,
            "the primary's walsender to the fenced sync is gone");
        await sync.FollowAsync(chain.Peers[0], null, null, default);
        await Sql.ExecAsync(primary, "INSERT INTO t VALUES (2)");
        await Sql.HasRowAsync(sync, 2);
    }

    [Fact]
    public async Task Without_its_sync_the_primary_blocks_commits_and_after_takeover_writes_resume_across_the_timeline_switch()
    {
        await using var cluster = new TestCluster();
        var chain = await Chain.BuildAsync(cluster, "p", "s", "a0", "a1");
        var (primary, sync, async0, async1) = (chain[0], chain[1], chain[2], chain[3]);
        var (s, a0, a1) = (chain.Peers[1], chain.Peers[2], chain.Peers[3]);

        await sync.StopAsync(default);
        var blocked = await PendingCommit.StartAsync(primary, "INSERT INTO t VALUES (2)");
        await blocked.WaitsForSyncAsync(primary);
        Assert.False(blocked.Task.IsCompleted);

        var exit = await primary.KillAsync(default);
        Assert.NotNull(exit);
        await Assert.ThrowsAnyAsync<Exception>(() => blocked.Task.WaitAsync(TimeSpan.FromSeconds(30)));

        await sync.StartPrimaryAsync(a0, default);
        var promoted = await sync.Probe.ReadStatusAsync(default);
        Assert.False(promoted.InRecovery);
        Assert.False(promoted.ReadWrite);
        Assert.Equal(2, promoted.Timeline);

        var a0Pid = async0.Instance!.Pid;
        await async0.FollowAsync(s, a1, null, default);
        Assert.Equal(a0Pid, async0.Instance!.Pid);
        await sync.EnableWritesWhenSyncCaughtUpAsync(a0, Chain.CatchUp, default);

        await Sql.ExecAsync(sync, "INSERT INTO t VALUES (3)");
        await Sql.HasRowAsync(async0, 3);
        await Sql.HasRowAsync(async1, 3);
        Assert.Equal(0L, await Sql.CountAsync(sync, "t", "id = 2"));
        var tail = await Eventually.ReturnsAsync(() => async1.Probe.ReadStatusAsync(default), st => st.Timeline == 2,
            "a1 follows onto timeline 2");
        Assert.True(tail.InRecovery);
    }
}
