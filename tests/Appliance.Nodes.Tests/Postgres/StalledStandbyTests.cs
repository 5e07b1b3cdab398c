using Appliance.Nodes.Postgres;
using Appliance.Nodes.State;

namespace Appliance.Nodes.Tests.Postgres;

/// <summary>
/// BENCHMARKS finding 10 on real servers: an async whose upstream was cloned afresh past the async's position can never
/// stream again; the stall check sees it (<see cref="StandbyStall"/>), and a fresh clone from that upstream heals it,
/// but never while a fence has stopped its WAL receiver.
/// </summary>
[Trait("Category", "Postgres")]
public sealed class StalledStandbyTests
{
    [Fact]
    public async Task An_async_whose_upstream_no_longer_holds_its_WAL_is_seen_stalled_and_a_fresh_clone_heals_it_but_not_while_fenced()
    {
        await using var cluster = new TestCluster();
        var chain = await Chain.BuildAsync(cluster, "p", "s", "a");
        var (primary, sync, async) = (chain[0], chain[1], chain[2]);
        var (p, s, a) = (chain.Peers[0], chain.Peers[1], chain.Peers[2]);

        // The async goes away; the primary moves on by several segments, and the sync is cloned afresh, so that its
        // pg_wal begins past the async's position (the chaos run's fault 95).
        await async.StopAsync(default);
        for (var id = 2; id <= 5; id++)
        {
            await Sql.ExecAsync(primary, $"INSERT INTO t VALUES ({id})");
            await Sql.ExecAsync(primary, "SELECT pg_switch_wal()");
        }
        await sync.StopAsync(default);
        Directory.Delete(sync.DataDirectory.Path, recursive: true);
        await sync.FollowAsync(p, a, null, default);
        await Sql.HasRowAsync(sync, 5);

        await async.FollowAsync(s, null, null, default);
        var reading = await Eventually.ReturnsAsync(
            async () => new StallReading(await async.Probe.ReadStandbyProgressAsync(default), await sync.Probe.ReadWalHeldAsync(default)),
            r => !r.Own.Streaming && r.Upstream is { } theirs && !theirs.HoldsSegmentOf(r.Own.Position),
            "a runs without streaming, below the WAL s holds");
        Assert.True(reading.Upstream!.Begins > reading.Own.Position);
        Assert.Equal(0L, await Sql.CountAsync(async, "t", "id = 5"));
        var verdict = StandbyStall.Decide(s, reading, stalledFor: TimeSpan.FromMinutes(1), patience: TimeSpan.FromSeconds(30));
        Assert.IsType<StallVerdict.CloneAfresh>(verdict);

        // Fenced (a takeover reads its position), it is not cloned, and its data stays as it was.
        var fenced = await async.StopReceivingAsync(default);
        await Assert.ThrowsAsync<InvalidRoleTransitionException>(() => async.CloneAfreshAsync(s, null, null, default));
        Assert.Equal(fenced.Replayed, (await async.Probe.ReadStatusAsync(default)).ReplayedLsn);
        Assert.False(Directory.Exists(async.DataDirectory.Path + ".appliance-fresh"));

        // Following s again, it is cloned afresh from s and streams: it holds what s held, and what comes after.
        await async.FollowAsync(s, null, null, default);
        await async.CloneAfreshAsync(s, null, null, default);
        await Sql.HasRowAsync(async, 5);
        await Sql.ExecAsync(primary, "INSERT INTO t VALUES (6)");
        await Sql.HasRowAsync(async, 6);
        await Eventually.TrueAsync(async () => (await async.Probe.ReadStandbyProgressAsync(default)).Streaming, "a streams from s");
        Assert.Equal("a", Assert.Single(await sync.Probe.ReadDownstreamsAsync(default)).ApplicationName);
        Assert.False(Directory.Exists(async.DataDirectory.Path + ".appliance-fresh"));
    }

    /// <summary>
    /// A standby ahead of its upstream on the same timeline waits; if that upstream is then promoted below the
    /// standby's position (a standby cluster's old leader back as an async at promote-cluster, or an async ahead of the
    /// sync that took over), the standby has forked off its upstream's history and can never stream. The stall check sees
    /// that while the upstream still holds the standby's segment, and following the upstream again rewinds it.
    /// </summary>
    [Fact]
    public async Task A_standby_whose_upstream_is_promoted_below_it_is_seen_forked_and_following_again_rewinds_it()
    {
        await using var cluster = new TestCluster();
        var chain = await Chain.BuildAsync(cluster, "p", "s", "a");
        var (primary, sync, async) = (chain[0], chain[1], chain[2]);
        var (p, s, a) = (chain.Peers[0], chain.Peers[1], chain.Peers[2]);

        // s stops receiving (as behind a takeover's fence) while a, re-pointed at p and made its sync, goes on: a is ahead of s.
        await sync.StopReceivingAsync(default);
        await async.FollowAsync(p, null, null, default);
        await primary.NameSyncAsync("a", default);
        await primary.EnableWritesWhenSyncCaughtUpAsync(a, TimeSpan.FromSeconds(30), default);
        await Sql.ExecAsync(primary, "INSERT INTO t VALUES (2)");
        await Sql.HasRowAsync(async, 2);
        // a follows s again while s is a standby behind it on timeline 1: nothing has forked, so nothing is rewound.
        Assert.Null(await async.FollowAsync(s, null, null, default));

        // p dies and s is promoted below a's position, onto timeline 2.
        await primary.KillAsync(default);
        await sync.StartPrimaryAsync(a, generation: 2, default);
        Assert.Equal(2, (await sync.Probe.ReadStatusAsync(default)).Timeline);
        var reading = await Eventually.ReturnsAsync(
            async () => new StallReading(await async.ReadStandbyProgressAsync(default), await sync.Probe.ReadWalHeldAsync(default)),
            r => !r.Own.Streaming && r.Own.History is { } own && r.Upstream?.History is { Timeline: 2 } theirs && !theirs.Holds(own, r.Own.Position),
            "a runs without streaming, forked off s's timeline 2");
        Assert.True(reading.Upstream!.HoldsSegmentOf(reading.Own.Position), "s still holds a's segment: only the history tells the fork");
        Assert.Contains("rewinding onto it once", Assert.IsType<StallVerdict.Wait>(StandbyStall.Decide(s, reading, TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(30))).Why);
        Assert.IsType<StallVerdict.Rewind>(StandbyStall.Decide(s, reading, TimeSpan.FromMinutes(1), TimeSpan.FromSeconds(30)));

        // What the role then does: rewind a onto timeline 2 (refused for a standby that does not follow s, as a fenced
        // one does not); it streams, and row 2 is gone.
        await Assert.ThrowsAsync<InvalidRoleTransitionException>(() => async.RewindForkedAsync(p, null, null, default));
        var rewound = await async.RewindForkedAsync(s, null, null, default);
        Assert.NotNull(rewound);
        await sync.EnableWritesWhenSyncCaughtUpAsync(a, TimeSpan.FromSeconds(30), default);
        await Sql.ExecAsync(sync, "INSERT INTO t VALUES (3)");
        await Sql.HasRowAsync(async, 3);
        Assert.Equal(0L, await Sql.CountAsync(async, "t", "id = 2"));
        await Eventually.TrueAsync(async () => (await async.Probe.ReadStandbyProgressAsync(default)).Streaming, "a streams from s");
    }

    /// <summary>A standby leader of a source whose failover promoted its sync below the leader's position.</summary>
    private sealed record ForkedLeader(PostgresDriver Leader, PostgresDriver NewPrimary, PeerId NewPrimaryPeer, StandbySource Source, PendingCommit Lost);

    /// <summary>
    /// A standby leader streams from its source's primary directly, so it can hold WAL the source's sync never got: a
    /// commit that waits for the sync is flushed and sent to every walsender. A failover at the source then promotes the
    /// sync below the leader's position (timeline 2, which takes row 3), and the leader can never follow.
    /// </summary>
    /// <param name="cluster">Where the servers run.</param>
    /// <param name="oldPrimaryFenced">The old source primary stays up, fenced (read-only) on timeline 1, first in the
    /// source's host list, instead of dying: a stale host the leader must pass over.</param>
    private static async Task<ForkedLeader> ForkedLeaderAsync(TestCluster cluster, bool oldPrimaryFenced = false)
    {
        var chain = await Chain.BuildAsync(cluster, "p", "s");
        var (primary, sync) = (chain[0], chain[1]);
        var (p, s) = (chain.Peers[0], chain.Peers[1]);
        var source = StandbySource.Parse($"{p.Host}:{p.Port},{s.Host}:{s.Port}");
        var leader = await cluster.NodeAsync(TestCluster.Peer("l"));
        await leader.FollowSourceAsync(source, null, null, default);
        await Sql.HasRowAsync(leader, 1);
        await Eventually.TrueAsync(async () => (await leader.Probe.ReadStatusAsync(default)).Receiving, "the leader streams from p");

        // The sync stops receiving (as behind a takeover's fence); a commit on p waits for it, unacknowledged, but its WAL
        // reaches the leader.
        await sync.StopReceivingAsync(default);
        var pending = await PendingCommit.StartAsync(primary, "INSERT INTO t VALUES (2)");
        await pending.WaitsForSyncAsync(primary);
        await Sql.HasRowAsync(leader, 2);

        // p dies (or fences itself and stays up); s is promoted below the leader's position, onto timeline 2, and takes writes.
        if (oldPrimaryFenced) await primary.FenceAsync(default);
        else await primary.KillAsync(default);
        await sync.StartSingletonPrimaryAsync(generation: 2, default);
        await Sql.ExecAsync(sync, "INSERT INTO t VALUES (3)");
        return new ForkedLeader(leader, sync, s, source, pending);
    }

    /// <summary>The leader runs on the source's timeline 2 without row 2, which was never acknowledged, and streams.</summary>
    private static async Task AssertFollowsTheNewPrimaryAsync(ForkedLeader forked)
    {
        await Sql.HasRowAsync(forked.Leader, 3);
        Assert.Equal(0L, await Sql.CountAsync(forked.Leader, "t", "id = 2"));
        await Eventually.TrueAsync(async () => (await forked.Leader.Probe.ReadStatusAsync(default)).Receiving, "the leader streams from s");
        Assert.Equal(2, (await forked.Leader.Probe.ReadStatusAsync(default)).Timeline);
        await Assert.ThrowsAnyAsync<Exception>(() => forked.Lost.Task);
    }

    [Fact]
    public async Task A_standby_leader_past_its_sources_failover_fork_is_seen_forked_and_rewound_onto_the_new_source_primary()
    {
        await using var cluster = new TestCluster();
        var forked = await ForkedLeaderAsync(cluster);
        var (leader, source, s) = (forked.Leader, forked.Source, forked.NewPrimaryPeer);
        var found = await leader.SourcePrimaryAsync(source, default);
        Assert.Equal((s.Host, s.Port), (found.Host, found.Port));
        var reading = await Eventually.ReturnsAsync(
            async () => new StallReading(await leader.ReadStandbyProgressAsync(default), await forked.NewPrimary.Probe.ReadWalHeldAsync(default)),
            r => !r.Own.Streaming && r.Own.History is { } own && r.Upstream?.History is { Timeline: 2 } theirs && !theirs.Holds(own, r.Own.Position),
            "the leader runs without streaming, forked off s's timeline 2");
        Assert.False((await leader.Probe.ReadStatusAsync(default)).Receiving);
        var upstream = new SourceStallReading(reading, found).UpstreamName(source);
        Assert.Equal($"the source's primary {s.Host}:{s.Port}", upstream);
        Assert.Contains($"not streaming from {upstream}", Assert.IsType<StallVerdict.Rewind>(
            StandbyStall.Decide(upstream, reading, TimeSpan.FromMinutes(1), TimeSpan.FromSeconds(30))).Why);

        // Refused for a source the leader does not follow, and for an archive; then rewound onto s's history.
        var other = StandbySource.Parse($"{s.Host}:{s.Port}");
        await Assert.ThrowsAsync<InvalidRoleTransitionException>(() => leader.RewindForkedFromSourceAsync(other, found, null, null, default));
        await Assert.ThrowsAsync<InvalidRoleTransitionException>(() =>
            leader.RewindForkedFromSourceAsync(StandbySource.FromRepository("/nonexistent/repo", "appliance"), found, null, null, default));
        Assert.NotNull(await leader.RewindForkedFromSourceAsync(source, found, null, null, default));
        await AssertFollowsTheNewPrimaryAsync(forked);
    }

    [Fact]
    public async Task A_forked_standby_leader_that_was_stopped_is_rewound_before_it_starts_and_an_interrupted_rewind_is_cloned_afresh()
    {
        // Found by the spin model (model/README.md, STANDBY): a leader stopped while forked may not start again, since
        // PostgreSQL refuses a recovery target timeline that is not a child of its own history, and its stall check
        // only runs while it runs.
        // The old source primary stays up, fenced, first in the list: the leader is rewound onto s, never onto it.
        await using var cluster = new TestCluster();
        var forked = await ForkedLeaderAsync(cluster, oldPrimaryFenced: true);
        var leader = forked.Leader;
        var found = await leader.SourcePrimaryAsync(forked.Source, default);
        Assert.Equal((forked.NewPrimaryPeer.Host, forked.NewPrimaryPeer.Port), (found.Host, found.Port));
        await leader.StopAsync(default);
        await leader.FollowSourceAsync(forked.Source, null, null, default);
        await AssertFollowsTheNewPrimaryAsync(forked);
        Assert.False(leader.RejoinPending);

        // A rewind interrupted half-way (pg_rewind took away standby.signal; the rejoin marker is pending): the leader is
        // replaced by a fresh copy of the source's primary instead of a second rewind over the half-rewound directory.
        await leader.StopAsync(default);
        await RejoinMarker.For(leader.DataDirectory).BeginAsync(formerTimeline: 1, default);
        await leader.DataDirectory.SetStandbySignalAsync(present: false, default);
        await Sql.ExecAsync(forked.NewPrimary, "INSERT INTO t VALUES (4)");
        await leader.FollowSourceAsync(forked.Source, null, null, default);
        await Sql.HasRowAsync(leader, 4);
        Assert.False(leader.RejoinPending);
        Assert.True(leader.DataDirectory.HasStandbySignal);
    }
}
