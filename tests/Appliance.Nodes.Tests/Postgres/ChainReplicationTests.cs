using Npgsql;

namespace Appliance.Nodes.Tests.Postgres;

/// <summary>After Flynn's TestIntegration: a chain P → S → A0 → A1 built with the driver.</summary>
[Trait("Category", "Postgres")]
public sealed class ChainReplicationTests
{
    private static readonly TimeSpan CatchUp = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Primary_refuses_writes_until_its_sync_caught_up_then_rows_reach_every_member_of_the_chain()
    {
        await using var cluster = new TestCluster();
        var (p, s, a0, a1) = (TestCluster.Peer("p"), TestCluster.Peer("s"), TestCluster.Peer("a0"), TestCluster.Peer("a1"));
        var primary = await cluster.NodeAsync(p);
        var sync = await cluster.NodeAsync(s);
        var async0 = await cluster.NodeAsync(a0);
        var async1 = await cluster.NodeAsync(a1);

        Assert.True(await primary.InitializeAsync(default));
        await primary.StartPrimaryAsync(s, default);

        var status = await primary.Probe.ReadStatusAsync(default);
        Assert.False(status.InRecovery);
        Assert.False(status.ReadWrite);
        Assert.Equal("FIRST 1 (\"s\")", status.SynchronousStandbyNames);
        Assert.Equal(1, status.Timeline);
        var refused = await Assert.ThrowsAsync<PostgresException>(() => Sql.ExecAsync(primary, "CREATE TABLE t (id int primary key)"));
        Assert.Equal(PostgresErrorCodes.ReadOnlySqlTransaction, refused.SqlState);

        await sync.FollowAsync(p, a0, null, default);
        var synced = await primary.EnableWritesWhenSyncCaughtUpAsync(s, CatchUp, default);
        Assert.Equal("s", synced.ApplicationName);
        Assert.Equal(s, primary.SyncedDownstream);

        status = await primary.Probe.ReadStatusAsync(default);
        Assert.True(status.ReadWrite);
        Assert.NotNull(status.CurrentLsn);
        Assert.True(status.CurrentLsn > Appliance.Nodes.State.Lsn.Zero);
        var downstreams = await primary.Probe.ReadDownstreamsAsync(default);
        var row = Assert.Single(downstreams);
        Assert.Equal(("s", "sync"), (row.ApplicationName, row.SyncState));

        await Sql.ExecAsync(primary, "CREATE TABLE t (id int primary key)");
        await Sql.ExecAsync(primary, "INSERT INTO t VALUES (1)");
        // Synchronous commit: acknowledged means flushed on the sync, so the row is there (replay may trail a little).
        await Sql.HasRowAsync(sync, 1);
        var syncStatus = await sync.Probe.ReadStatusAsync(default);
        Assert.True(syncStatus.InRecovery);
        Assert.False(syncStatus.ReadWrite);
        Assert.True(syncStatus.ReplayedLsn > Appliance.Nodes.State.Lsn.Zero);

        await async0.FollowAsync(s, a1, null, default);
        await async1.FollowAsync(a0, null, null, default);
        await Sql.ExecAsync(primary, "INSERT INTO t VALUES (2)");
        foreach (var node in new[] { sync, async0, async1 })
        {
            await Sql.HasRowAsync(node, 1);
            await Sql.HasRowAsync(node, 2);
        }
        Assert.Equal("a0", Assert.Single(await sync.Probe.ReadDownstreamsAsync(default)).ApplicationName);
        Assert.Equal("a1", Assert.Single(await async0.Probe.ReadDownstreamsAsync(default)).ApplicationName);
        Assert.Equal("async", Assert.Single(await async0.Probe.ReadDownstreamsAsync(default)).SyncState);
        var lag = await Eventually.ReturnsAsync(() => async0.Probe.ReadDownstreamsAsync(default),
            rows => rows.Single().LagBytes == 0, "a1 has replayed everything a0 has");
        Assert.Equal(0UL, lag.Single().LagBytes);
    }
}
