using Appliance.Nodes.Postgres;
using Npgsql;

namespace Appliance.Nodes.Tests.Postgres;

/// <summary>DESIGN §4.3: a client that overrides default_transaction_read_only cannot get an unreplicated commit acknowledged.</summary>
[Trait("Category", "Postgres")]
public sealed class ReadOnlyGateTests
{
    [Fact]
    public async Task Overriding_read_only_before_the_sync_caught_up_acknowledges_no_commit_the_sync_lacks()
    {
        await using var cluster = new TestCluster();
        var (p, s) = (TestCluster.Peer("p"), TestCluster.Peer("s"));
        var primary = await cluster.NodeAsync(p);
        var sync = await cluster.NodeAsync(s);
        await primary.InitializeAsync(default);
        await primary.StartPrimaryAsync(s, default);

        // An ordinary write is refused while the primary is read-only…
        var refused = await Assert.ThrowsAsync<PostgresException>(() => Sql.ExecAsync(primary, "CREATE TABLE t (id int)"));
        Assert.Equal(PostgresErrorCodes.ReadOnlySqlTransaction, refused.SqlState);

        // …and one that overrides the default commits locally but is not acknowledged: it waits for the named sync.
        var commit = await PendingCommit.StartAsync(primary,
            "SET default_transaction_read_only = off", "BEGIN", "CREATE TABLE t (id int)", "INSERT INTO t VALUES (42)", "COMMIT");
        await commit.WaitsForSyncAsync(primary);
        Assert.False(commit.Task.IsCompleted, "the commit was acknowledged with no sync connected");
        var localEnd = (await primary.Probe.ReadStatusAsync(default)).CurrentLsn!.Value;

        // The sync comes: only now is the commit acknowledged, and by then the sync has flushed it.
        await sync.FollowAsync(p, null, null, default);
        await commit.Task.WaitAsync(TimeSpan.FromSeconds(60));
        var syncFlushed = (await sync.Probe.ReadStatusAsync(default)).ReceivedLsn!.Value;
        Assert.True(syncFlushed >= localEnd, $"commit acknowledged at sync flush {syncFlushed}, before {localEnd}");
        // The clone started while the transaction was still waiting, so the standby counts it as running until
        // the next running-transactions record; a checkpoint writes one now instead of in up to 15 s.
        await Sql.ExecAsync(primary, "CHECKPOINT");
        await Sql.HasRowAsync(sync, 42);

        // The primary stays read-only for ordinary clients until the driver enables writes.
        Assert.False((await primary.Probe.ReadStatusAsync(default)).ReadWrite);
        await primary.EnableWritesWhenSyncCaughtUpAsync(s, Chain.CatchUp, default);
        Assert.True((await primary.Probe.ReadStatusAsync(default)).ReadWrite);
    }

    [Fact]
    public async Task A_sync_that_never_connects_times_out_and_the_primary_stays_read_only()
    {
        await using var cluster = new TestCluster();
        var s = TestCluster.Peer("s");
        var primary = await cluster.ReadOnlyPrimaryAsync(TestCluster.Peer("p"), s);

        var e = await Assert.ThrowsAsync<SyncNotCaughtUpException>(() =>
            primary.EnableWritesWhenSyncCaughtUpAsync(s, TimeSpan.FromSeconds(1), default));
        Assert.Contains("has not connected", e.Message);
        Assert.False((await primary.Probe.ReadStatusAsync(default)).ReadWrite);
        Assert.Null(primary.SyncedDownstream);
    }
}
