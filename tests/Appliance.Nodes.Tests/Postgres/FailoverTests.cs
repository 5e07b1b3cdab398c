using Appliance.Nodes.Postgres;
using Appliance.Nodes.State;

namespace Appliance.Nodes.Tests.Postgres;

/// <summary>After Flynn's TestRemoveNodes: the chain closes over a dead member, and the sync takes over.</summary>
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

        Assert.Equal((first.Replayed, first.Received), (second.Replayed, second.Received));
        await Eventually.TrueAsync(async () => (await primary.Probe.ReadDownstreamsAsync(default)).Count == 0,
            "the primary's walsender to the fenced sync is gone");
        await sync.FollowAsync(chain.Peers[0], null, null, default);
        await Sql.ExecAsync(primary, "INSERT INTO t VALUES (2)");
        await Sql.HasRowAsync(sync, 2);
    }

    [Fact]
    public async Task A_sync_fenced_inside_a_record_is_declared_where_its_promotion_forks_and_holds_what_it_received()
    {
        // Found by CI: a switchover declared the new generation at the sync's received position, past the end of the
        // record its promotion kept, so the new primary's own history parted from the generation's below initWal and
        // every later planned move was refused (FailoverScenarioSpecs).
        await using var cluster = new TestCluster();
        var chain = await Chain.BuildAsync(cluster, "p", "s");
        var (primary, sync) = (chain[0], chain[1]);
        await Sql.ExecAsync(primary, "ALTER SYSTEM SET autovacuum = off");   // no commit of its own may flush the record
        await Sql.ExecAsync(primary, "SELECT pg_reload_conf()");

        // With the walwriter stopped, the primary flushes only when it fills a WAL segment: inside this 24 MB record. It is
        // stopped only where it idles, never while it holds the WAL write lock the insert below needs.
        var walwriter = (await Sql.ScalarAsync<int>(primary, "SELECT pid FROM pg_stat_activity WHERE backend_type = 'walwriter'"))
            .ToString(System.Globalization.CultureInfo.InvariantCulture);
        StandbyWalEnd fenced;
        Lsn inserted;
        try
        {
            await Eventually.TrueAsync(async () =>
            {
                await Shell.RunAsync("kill", "-STOP", walwriter);
                if (await Sql.ScalarAsync<string>(primary, $"SELECT coalesce(wait_event, '') FROM pg_stat_activity WHERE pid = {walwriter}") == "WalWriterMain")
                    return true;
                await Shell.RunAsync("kill", "-CONT", walwriter);
                return false;
            }, "the walwriter is stopped while it idles");
            await Sql.ExecAsync(primary, "SELECT pg_logical_emit_message(false, 'appliance-test', repeat('x', 24 * 1024 * 1024))");
            var flushed = Lsn.Parse(await Sql.ScalarAsync<string>(primary, "SELECT pg_current_wal_flush_lsn()::text"));
            inserted = Lsn.Parse(await Sql.ScalarAsync<string>(primary, "SELECT pg_current_wal_insert_lsn()::text"));
            Assert.True(flushed < inserted, $"the record is flushed only in part (flushed {flushed}, inserted {inserted})");
            await Eventually.TrueAsync(async () => Lsn.Parse(await Sql.ScalarAsync<string>(sync, "SELECT pg_last_wal_receive_lsn()::text")) >= flushed,
                $"s received the flushed part, to {flushed}");

            fenced = await sync.StopReceivingAsync(default);
        }
        finally
        {
            await Shell.RunAsync("kill", "-CONT", walwriter);
        }
        Assert.True(fenced.Received < inserted, $"s holds the record in part only ({fenced}, record ends at {inserted})");
        Assert.True(fenced.Replayed < fenced.Received, $"s stopped inside a record ({fenced})");
        var before = (await sync.Probe.ReadStatusAsync(default)).History!;
        await primary.KillAsync(default);
        await sync.StartPrimaryAsync(chain.Peers[0], default);

        // The promotion forks at the end of the last whole record: that is the position a generation may be declared at.
        var after = (await sync.Probe.ReadStatusAsync(default)).History!;
        Assert.Equal(fenced.Replayed, before.ForkPoint(after));
        Assert.True(after.Holds(before, fenced.Replayed));
        Assert.False(after.Holds(before, fenced.Received));
    }

    [Fact]
    public async Task The_fence_takes_replay_as_done_only_when_pg_wal_holds_no_whole_record_past_it()
    {
        // The startup process's wait events do not prove that replay used up what arrived (review of the partial-record
        // fix): the fence asks the WAL itself, as recovery's reader would read it at promotion.
        await using var cluster = new TestCluster();
        var chain = await Chain.BuildAsync(cluster, "p", "s");
        var (primary, sync) = (chain[0], chain[1]);
        const long segmentSize = 16 * 1024 * 1024;
        Assert.Equal(segmentSize, await Sql.ScalarAsync<long>(sync, "SELECT setting::bigint FROM pg_settings WHERE name = 'wal_segment_size'"));

        await Sql.ExecAsync(sync, "SELECT pg_wal_replay_pause()");
        await Sql.ExecAsync(primary, "INSERT INTO t VALUES (2)");
        var replayed = await Eventually.ReturnsAsync(async () =>
        {
            var r = await Sql.ScalarAsync<string>(sync, "SELECT pg_last_wal_replay_lsn()::text");
            var received = await Sql.ScalarAsync<string>(sync, "SELECT pg_last_wal_receive_lsn()::text");
            return Lsn.Parse(received) > Lsn.Parse(r) ? Lsn.Parse(r) : (Lsn?)null;
        }, r => r is not null, "s received WAL it has not replayed");

        var (noRecord, seen) = await sync.NoRecordAtAsync(replayed!.Value, segmentSize, default);
        Assert.False(noRecord, seen);
        Assert.Contains("rmgr:", seen);

        await Sql.ExecAsync(sync, "SELECT pg_wal_replay_resume()");
        await Sql.HasRowAsync(sync, 2);
        var fenced = await sync.StopReceivingAsync(default);
        Assert.True(fenced.Replayed > replayed.Value);
        (noRecord, seen) = await sync.NoRecordAtAsync(fenced.Replayed, segmentSize, default);
        Assert.True(noRecord, seen);
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
