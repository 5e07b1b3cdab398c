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
}
