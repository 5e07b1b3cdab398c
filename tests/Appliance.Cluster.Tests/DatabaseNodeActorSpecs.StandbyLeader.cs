using Akka.Actor;
using Appliance.Actors.Instance;
using Appliance.Nodes.Postgres;
using Appliance.Nodes.State;

namespace Appliance.Cluster.Tests;

public sealed partial class DatabaseNodeActorSpecs
{
    /// <summary>Stall checks every half second, acting after 3 s, so that a test sees a repair within seconds.</summary>
    private static readonly DatabaseNodeSettings QuickStallChecks = NodeActorHarness.Options with
    {
        StandbyStallCheckInterval = TimeSpan.FromMilliseconds(500),
        StandbyStallPatience = TimeSpan.FromSeconds(3),
    };

    /// <summary>
    /// A source (a primary and its sync, as drivers without actors: the test plays its failover) and a standby cluster of
    /// it whose leader n1 streams from the source and whose sync n2 streams from n1; table t holds row 1 everywhere.
    /// </summary>
    private async Task<(Chain Source, StandbySource Named, ClusterState State)> StandbyClusterOfAsync(TestCluster sourceCluster)
    {
        var chain = await Chain.BuildAsync(sourceCluster, "src-p", "src-s");
        var (p, s) = (chain.Peers[0], chain.Peers[1]);
        var named = StandbySource.Parse($"{p.Host}:{p.Port},{s.Host}:{s.Port}");
        await _nodes.StartAsync(Sys, TestActor, RejoinPolicy.Auto, QuickStallChecks, "n1", "n2");
        var state = _nodes.State(1, 1, "n1", "n2") with { StandbyOf = named };
        _nodes.Publish(state);
        await Sql.HasRowAsync(_nodes.Drivers["n2"], 1);
        var streaming = await _nodes.UntilAsync("n1", n => n.AppliedRole == PeerRole.Primary && n.Status is { Receiving: true },
            "n1 leads and streams from the source");
        Assert.False(streaming.ReadWrite);
        return (chain, named, state);
    }

    /// <summary>
    /// Writes rows <paramref name="from"/> to <paramref name="to"/> on <paramref name="primary"/>, a WAL segment each,
    /// and checkpoints until it no longer holds the segment <paramref name="needed"/> is in (wal_keep_size is 64MB in the
    /// tests: four segments); on <paramref name="standby"/>, if given, the restartpoints that remove it there. Waiting
    /// for that segment, not for any removal: a restartpoint at an older checkpoint record (the primary's last one not yet
    /// replayed) removes only older segments, and a CI run went on with the segment still there.
    /// </summary>
    private static async Task RecycleWalAsync(PostgresDriver primary, int from, int to, Lsn needed, PostgresDriver? standby = null)
    {
        for (var id = from; id <= to; id++)
        {
            await Sql.ExecAsync(primary, $"INSERT INTO t VALUES ({id})");
            await Sql.ExecAsync(primary, "SELECT pg_switch_wal()");
        }
        await Sql.ExecAsync(primary, "CHECKPOINT");
        var remover = standby ?? primary;
        if (standby is not null) await Sql.HasRowAsync(standby, to);
        await Eventually.TrueAsync(async () =>
        {
            await Sql.ExecAsync(remover, "CHECKPOINT");   // on a standby, a restartpoint
            return !(await remover.Probe.ReadWalHeldAsync(default)).HoldsSegmentOf(needed);
        }, $"the segment of {needed} is removed");
    }

    [Fact]
    public async Task A_standby_leader_forked_by_a_failover_at_its_source_is_rewound_onto_the_new_primary_and_its_sync_follows()
    {
        await using var sourceCluster = new TestCluster();
        var (chain, _, _) = await StandbyClusterOfAsync(sourceCluster);
        var (sourcePrimary, sourceSync) = (chain[0], chain[1]);
        var (leader, standby) = (_nodes.Drivers["n1"], _nodes.Drivers["n2"]);

        // A commit at the source waits for a sync that stopped receiving; its WAL reaches the leader and n2 all the same.
        await sourceSync.StopReceivingAsync(default);
        var pending = await PendingCommit.StartAsync(sourcePrimary, "INSERT INTO t VALUES (2)");
        await pending.WaitsForSyncAsync(sourcePrimary);
        await Sql.HasRowAsync(standby, 2);

        // The source fails over below that commit: its sync is promoted onto timeline 2 and takes a new row.
        await sourcePrimary.KillAsync(default);
        await sourceSync.StartSingletonPrimaryAsync(generation: 2, default);
        await Sql.ExecAsync(sourceSync, "INSERT INTO t VALUES (3)");

        // The leader's stall check sees it forked and rewinds it onto the source's new primary; n2's sees its leader on a
        // later timeline and rewinds onto it. Row 2, never acknowledged at the source, is gone from both.
        await Sql.HasRowAsync(leader, 3);
        await Sql.HasRowAsync(standby, 3);
        Assert.Equal(0L, await Sql.CountAsync(leader, "t", "id = 2"));
        Assert.Equal(0L, await Sql.CountAsync(standby, "t", "id = 2"));
        var healed = await _nodes.UntilAsync("n1", n => n.Status is { Receiving: true, Timeline: 2 } && n.LastError is null,
            "n1 streams from the source's new primary with nothing to report");
        Assert.Equal(PeerRole.Primary, healed.AppliedRole);
        await _nodes.UntilAsync("n2", n => n.Status is { Receiving: true, Timeline: 2 } && n.LastError is null && n.AppliedRole == PeerRole.Sync,
            "n2 streams from n1 on timeline 2");
        await Assert.ThrowsAnyAsync<Exception>(() => pending.Task);
    }

    [Fact]
    public async Task A_standby_leader_whose_source_removed_the_WAL_it_needs_says_so_and_is_cloned_afresh_from_the_source()
    {
        // BENCHMARKS finding 10 for a standby leader: its source recycled the segments it would need on its return.
        await using var sourceCluster = new TestCluster();
        var (chain, _, state) = await StandbyClusterOfAsync(sourceCluster);
        var sourcePrimary = chain[0];
        var p = chain.Peers[0];
        var (leader, standby) = (_nodes.Drivers["n1"], _nodes.Drivers["n2"]);

        // The leader's node goes away, and the source moves on past what it keeps.
        var needed = (await leader.Probe.ReadStatusAsync(default)).AppliedPosition;
        await _nodes.Actors["n1"].GracefulStop(TimeSpan.FromSeconds(60));
        await leader.StopAsync(default);
        await RecycleWalAsync(sourcePrimary, 2, 8, needed);

        await _nodes.RestartActorAsync(Sys, "n1", TestActor, RejoinPolicy.Auto, QuickStallChecks);
        _nodes.Publish(state);
        var waiting = await _nodes.UntilAsync("n1", n => n.LastError?.Contains($"the source's primary {p.Host}:{p.Port} no longer holds the WAL this standby needs") == true,
            "the leader says why it does not stream");
        Assert.Equal(PeerRole.Primary, waiting.AppliedRole);
        await Sql.HasRowAsync(leader, 8);   // cloned afresh from the source's primary
        await Sql.ExecAsync(sourcePrimary, "INSERT INTO t VALUES (9)");
        await Sql.HasRowAsync(leader, 9);
        await Sql.HasRowAsync(standby, 9);   // n2 follows the fresh copy (cloned afresh from it in turn if it must)
        await _nodes.UntilAsync("n1", n => n.LastError is null && n.Status is { Receiving: true }, "n1 streams from the source with nothing to report");
    }
}
