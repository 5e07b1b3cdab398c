using Appliance.Nodes.Postgres;

namespace Appliance.Nodes.Tests.Postgres;

/// <summary>A deposed primary with an unacknowledged transaction rejoins as an async, its divergent tail gone.</summary>
[Trait("Category", "Postgres")]
public sealed class RewindTests
{
    [Fact]
    public async Task A_deposed_primary_is_rewound_and_rejoins_as_an_async_without_its_unacknowledged_transaction()
    {
        await using var cluster = new TestCluster();
        var (oldPrimary, newPrimary, newSync, peers) = await DeposeAsync(cluster);

        var outcome = await oldPrimary.RejoinAsync(peers.NewSync, null, null, default);

        Assert.Equal(RejoinMethod.Rewound, outcome.Method);
        await AssertRejoinedAsync(oldPrimary, newPrimary, newSync);
    }

    [Fact]
    public async Task When_rewind_fails_the_deposed_primary_is_cloned_afresh_and_still_rejoins()
    {
        await using var cluster = new TestCluster();
        var (oldPrimary, newPrimary, newSync, peers) = await DeposeAsync(cluster);
        // Without its WAL pg_rewind can find neither the divergence point nor a consistent state.
        foreach (var segment in Directory.EnumerateFiles(Path.Combine(oldPrimary.DataDirectory.Path, "pg_wal"), "0000*"))
            File.Delete(segment);

        var outcome = await oldPrimary.RejoinAsync(peers.NewSync, null, null, default);

        Assert.Equal(RejoinMethod.Cloned, outcome.Method);
        Assert.False(string.IsNullOrWhiteSpace(outcome.RewindFailure));
        Assert.False(Directory.Exists(oldPrimary.DataDirectory.Path + ".appliance-clone"));
        await AssertRejoinedAsync(oldPrimary, newPrimary, newSync);
    }

    [Fact]
    public async Task A_rejoin_that_failed_after_rewinding_rewinds_again_instead_of_following_as_a_plain_standby()
    {
        // Found by the manual-rejoin scenario: the first attempt rewound, then its standby did not start in time and was
        // stopped, leaving standby.signal; the next attempt took it for an ordinary standby and followed without a
        // rewind ("requested timeline 2 is not a child of this server's history"), for ever.
        await using var cluster = new TestCluster();
        var (oldPrimary, newPrimary, newSync, peers) = await DeposeAsync(cluster);
        // The first attempt: rewound, ran as a standby (now on timeline 2), then stopped before it was done.
        await RewindOrClone.RunAsync(await TestCluster.Binaries(), oldPrimary.Settings, oldPrimary.DataDirectory, peers.NewPrimary, null, default);
        await oldPrimary.FollowAsync(peers.NewSync, null, null, default);
        await oldPrimary.StopAsync(default);
        Assert.True(oldPrimary.DataDirectory.HasStandbySignal);
        Assert.True(oldPrimary.RejoinPending);

        // The next attempt rewinds again (nothing to do now) rather than refusing an upstream "not ahead" of timeline 2.
        await oldPrimary.RejoinAsync(peers.NewPrimary, peers.NewSync, null, null, default);

        Assert.False(oldPrimary.RejoinPending);
        await AssertRejoinedAsync(oldPrimary, newPrimary, newSync);
    }

    [Fact]
    public async Task A_deposed_primary_restarted_after_its_rewind_rejoins_again_without_rewinding()
    {
        // Found by the chaos runs (PauseSpecs, seed 1765872594): a deposed primary restarted after its rewind but before
        // its rejoin was written was refused for good ("Upstream n1 is on timeline 2, not past this instance's timeline 2").
        await using var cluster = new TestCluster();
        var (oldPrimary, newPrimary, newSync, peers) = await DeposeAsync(cluster);
        Assert.Equal(RejoinMethod.Rewound, (await oldPrimary.RejoinAsync(peers.NewSync, null, null, default)).Method);
        await oldPrimary.StopAsync(default);

        var again = await oldPrimary.RejoinAsync(peers.NewSync, null, null, default);

        Assert.Equal(RejoinMethod.AlreadyOnHistory, again.Method);
        Assert.False(oldPrimary.RejoinPending);
        await AssertRejoinedAsync(oldPrimary, newPrimary, newSync);
    }

    [Fact]
    public async Task A_deposed_primary_does_not_rejoin_behind_a_successor_that_has_not_been_promoted_yet()
    {
        // Found by the node actor tests: the deposed primary learnt of the new state while its successor was still
        // promoting, rewound against it while both were on timeline 1, got "no rewind required", and kept its
        // unacknowledged tail. Now the rejoin refuses, changes nothing, and the caller retries.
        await using var cluster = new TestCluster();
        var chain = await Chain.BuildAsync(cluster, "p", "s", "a0");
        var (p, s) = (chain[0], chain[1]);
        // p holds a tail its successor lacks: a commit that waited for the stopped sync when p died.
        await s.StopAsync(default);
        var unacknowledged = await PendingCommit.StartAsync(p, "INSERT INTO t VALUES (2)");
        await unacknowledged.WaitsForSyncAsync(p);
        await p.KillAsync(default);
        await Assert.ThrowsAnyAsync<Exception>(() => unacknowledged.Task.WaitAsync(TimeSpan.FromSeconds(30)));
        await s.FollowAsync(chain.Peers[0], chain.Peers[2], null, default);
        var controlBefore = await File.ReadAllBytesAsync(Path.Combine(p.DataDirectory.Path, "global", "pg_control"));

        var error = await Assert.ThrowsAsync<UpstreamNotAheadException>(() => p.RejoinAsync(chain.Peers[1], null, null, default));

        Assert.Contains("has not been promoted yet", error.Message);
        Assert.Equal(controlBefore, await File.ReadAllBytesAsync(Path.Combine(p.DataDirectory.Path, "global", "pg_control")));
        Assert.False(p.DataDirectory.HasStandbySignal);
        Assert.True((await s.Probe.ReadStatusAsync(default)).InRecovery);
    }

    private sealed record Peers(Appliance.Nodes.State.PeerId OldPrimary, Appliance.Nodes.State.PeerId NewPrimary, Appliance.Nodes.State.PeerId NewSync);

    /// <summary>
    /// p → s → a0 with row 1. s stops; p commits row 2 locally but never gets it acknowledged; p dies; s takes over
    /// with a0 as its sync and acknowledges row 3.
    /// </summary>
    private static async Task<(PostgresDriver OldPrimary, PostgresDriver NewPrimary, PostgresDriver NewSync, Peers Peers)> DeposeAsync(
        TestCluster cluster)
    {
        var chain = await Chain.BuildAsync(cluster, "p", "s", "a0");
        var (p, s, a0) = (chain[0], chain[1], chain[2]);

        await s.StopAsync(default);
        var before = (await p.Probe.ReadStatusAsync(default)).CurrentLsn!.Value;
        var unacknowledged = await PendingCommit.StartAsync(p, "INSERT INTO t VALUES (2)");
        await unacknowledged.WaitsForSyncAsync(p);
        // Its commit record is in p's WAL (a sync-rep wait begins after the local flush): the divergent tail.
        Assert.True((await p.Probe.ReadStatusAsync(default)).CurrentLsn!.Value > before);
        await p.KillAsync(default);
        await Assert.ThrowsAnyAsync<Exception>(() => unacknowledged.Task.WaitAsync(TimeSpan.FromSeconds(30)));

        await s.StartPrimaryAsync(chain.Peers[2], default);
        await a0.FollowAsync(chain.Peers[1], null, null, default);
        await s.EnableWritesWhenSyncCaughtUpAsync(chain.Peers[2], Chain.CatchUp, default);
        await Sql.ExecAsync(s, "INSERT INTO t VALUES (3)");
        return (p, s, a0, new Peers(chain.Peers[0], chain.Peers[1], chain.Peers[2]));
    }

    private static async Task AssertRejoinedAsync(PostgresDriver oldPrimary, PostgresDriver newPrimary, PostgresDriver upstream)
    {
        Assert.True(oldPrimary.IsRunning);
        await Sql.ExecAsync(newPrimary, "INSERT INTO t VALUES (4)");
        await Sql.HasRowAsync(oldPrimary, 4);
        var status = await oldPrimary.Probe.ReadStatusAsync(default);
        Assert.True(status.InRecovery);
        Assert.Equal(2, status.Timeline);
        Assert.Equal(0L, await Sql.CountAsync(oldPrimary, "t", "id = 2"));
        Assert.Equal(new long[] { 1, 3, 4 }, await IdsAsync(oldPrimary));
        Assert.Contains(await upstream.Probe.ReadDownstreamsAsync(default), d => d.ApplicationName == "p");
    }

    private static async Task<long[]> IdsAsync(PostgresDriver node)
    {
        await using var c = await Sql.ConnectAsync(node);
        await using var cmd = new Npgsql.NpgsqlCommand("SELECT id::bigint FROM t ORDER BY id", c);
        await using var r = await cmd.ExecuteReaderAsync();
        var ids = new List<long>();
        while (await r.ReadAsync()) ids.Add(r.GetInt64(0));
        return ids.ToArray();
    }
}
