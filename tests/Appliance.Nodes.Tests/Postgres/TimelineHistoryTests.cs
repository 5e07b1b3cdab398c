using Appliance.Nodes.Postgres;
using Appliance.Nodes.State;

namespace Appliance.Nodes.Tests.Postgres;

/// <summary>Positions come with the history of their timeline, and a promotion starts its generation's timeline.</summary>
[Trait("Category", "Postgres")]
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class TimelineHistoryTests
{
    [Fact]
    public async Task A_promoted_standby_and_a_standby_following_it_report_the_new_timelines_history()
    {
        await using var cluster = new TestCluster();
        var chain = await Chain.BuildAsync(cluster, "p", "s", "a0");
        var (p, s, a0) = (chain[0], chain[1], chain[2]);
        Assert.Equal(TimelineHistory.First, (await p.Probe.ReadStatusAsync(default)).History);
        Assert.Equal(TimelineHistory.First, (await a0.Probe.ReadStatusAsync(default)).History);

        await p.KillAsync(default);
        await s.StartPrimaryAsync(chain.Peers[2], default);
        await a0.FollowAsync(chain.Peers[1], null, null, default);
        await s.EnableWritesWhenSyncCaughtUpAsync(chain.Peers[2], Chain.CatchUp, default);
        await Sql.ExecAsync(s, "INSERT INTO t VALUES (2)");

        var promoted = (await s.Probe.ReadStatusAsync(default)).History;
        Assert.NotNull(promoted);
        Assert.Equal(2, promoted.Timeline);
        var fork = Assert.Single(promoted.Past);
        Assert.Equal(1, fork.Timeline);
        Assert.True(fork.SwitchPoint > Lsn.Zero);
        await Sql.HasRowAsync(a0, 2);
        var following = await Eventually.ReturnsAsync(() => a0.Probe.ReadStatusAsync(default), st => st.Timeline == 2, "a0 streams on timeline 2");
        Assert.Equal(promoted, following.History);
        Assert.True(promoted.Holds(following.History!, following.Position));
    }

    [Fact]
    public async Task A_promotion_in_generation_5_starts_timeline_5_and_both_a_standby_and_the_rewound_old_primary_follow_it()
    {
        await using var cluster = new TestCluster();
        var chain = await Chain.BuildAsync(cluster, "p", "s", "a0");
        var (p, s, a0) = (chain[0], chain[1], chain[2]);

        // p dies with a tail s never received, so that it must be rewound onto timeline 5.
        await s.StopAsync(default);
        var unacknowledged = await PendingCommit.StartAsync(p, "INSERT INTO t VALUES (9)");
        await unacknowledged.WaitsForSyncAsync(p);
        await p.KillAsync(default);
        await Assert.ThrowsAnyAsync<Exception>(() => unacknowledged.Task.WaitAsync(TimeSpan.FromSeconds(30)));
        await s.FollowAsync(chain.Peers[0], chain.Peers[2], null, default);
        var started = await s.StartPrimaryAsync(chain.Peers[2], generation: 5, default);

        Assert.Equal(5, started);
        var history = (await s.Probe.ReadStatusAsync(default)).History!;
        Assert.Equal(5, history.Timeline);
        Assert.Equal(1, Assert.Single(history.Past).Timeline);
        // The skipped numbers are well-formed history files, owned by PostgreSQL, so that standbys can fetch them.
        foreach (var skipped in new[] { 2, 3, 4 })
        {
            var file = Path.Combine(s.DataDirectory.Path, "pg_wal", $"{skipped:X8}.history");
            Assert.True(File.Exists(file), $"{file} exists");
            TimelineHistory.Parse(skipped, await File.ReadAllTextAsync(file));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
        }

        await a0.FollowAsync(chain.Peers[1], null, null, default);
        await s.EnableWritesWhenSyncCaughtUpAsync(chain.Peers[2], Chain.CatchUp, default);
        await Sql.ExecAsync(s, "INSERT INTO t VALUES (2)");
        await Sql.HasRowAsync(a0, 2);
        var standby = await Eventually.ReturnsAsync(() => a0.Probe.ReadStatusAsync(default), st => st.Timeline == 5, "a0 streams on timeline 5");
        Assert.Equal(history, standby.History);

        var outcome = await p.RejoinAsync(chain.Peers[1], null, null, default);
        Assert.Equal(RejoinMethod.Rewound, outcome.Method);
        await Sql.ExecAsync(s, "INSERT INTO t VALUES (3)");
        await Sql.HasRowAsync(p, 3);
        Assert.Equal(0L, await Sql.CountAsync(p, "t", "id = 9"));
        Assert.Equal(history, (await Eventually.ReturnsAsync(() => p.Probe.ReadStatusAsync(default), st => st.Timeline == 5, "p follows timeline 5")).History);
    }

    [Fact]
    public async Task A_history_file_of_a_timeline_the_standby_never_replayed_does_not_push_its_promotion_past_the_generation()
    {
        await using var cluster = new TestCluster();
        var chain = await Chain.BuildAsync(cluster, "p", "s", "a0");
        var (p, s) = (chain[0], chain[1]);
        await Sql.ExecAsync(p, "INSERT INTO t VALUES (2)");
        await Sql.HasRowAsync(s, 2);

        // What a standby cluster's leader holds after its source switched timelines (another cluster's numbering): the
        // history of timeline 2, forking ahead of what it replayed, so that its startup process may even take timeline 2
        // as its recovery target once streaming stops.
        var foreign = Path.Combine(s.DataDirectory.Path, "pg_wal", "00000002.history");
        await File.WriteAllTextAsync(foreign, "1\tFF/0\tno recovery target specified\n");
        PostgresOsUser.GiveToPostgres(foreign);
        await p.KillAsync(default);

        var started = await s.StartPrimaryAsync(chain.Peers[2], generation: 2, default);

        Assert.Equal(2, started);
        var history = (await s.Probe.ReadStatusAsync(default)).History!;
        Assert.Equal(2, history.Timeline);
        Assert.True(Assert.Single(history.Past).SwitchPoint < new Lsn(0xFF_0000_0000), "timeline 2 is this standby's own, not the foreign one");
        Assert.Equal("1\tFF/0\tno recovery target specified\n",
            await File.ReadAllTextAsync(Path.Combine(s.DataDirectory.Path, PostgresDriver.ForeignHistoryDirectory, "00000002.history")));
    }

    [Fact]
    public async Task A_standby_with_WAL_past_where_its_new_upstream_forked_is_rewound_before_it_follows()
    {
        // Found by a chaos run: an async told to follow an upstream whose history forked below its own WAL could never
        // start PostgreSQL again ("according to history file, WAL location ... belongs to timeline 62, but previous
        // recovered WAL file came from timeline 63").
        await using var cluster = new TestCluster();
        var chain = await Chain.BuildAsync(cluster, "p", "s", "a0");
        var (p, s, a0) = (chain[0], chain[1], chain[2]);
        var cPeer = TestCluster.Peer("c");
        var c = await cluster.NodeAsync(cPeer);
        await c.FollowAsync(chain.Peers[0], null, null, default);   // a second standby of p
        await Sql.HasRowAsync(c, 1);

        // s is fenced; p takes one more write, acknowledged locally only, that reaches c but never s.
        var fencedAt = await s.StopReceivingAsync(default);
        // The commit guard refuses this for clients; the test plays a superuser using its escape hatch.
        await Sql.ExecAsync(p, "SET appliance_guard.allow_local_commit = on; SET synchronous_commit = local; INSERT INTO t VALUES (2)");
        await Sql.HasRowAsync(c, 2);
        await p.KillAsync(default);
        await c.StopAsync(default);
        await s.StartPrimaryAsync(chain.Peers[2], default);
        await a0.FollowAsync(chain.Peers[1], null, null, default);
        await s.EnableWritesWhenSyncCaughtUpAsync(chain.Peers[2], Chain.CatchUp, default);
        await Sql.ExecAsync(s, "INSERT INTO t VALUES (3)");

        var outcome = await c.FollowAsync(chain.Peers[1], null, null, default);

        Assert.NotNull(outcome);
        Assert.Contains("forked off", outcome.Why);
        Assert.NotEqual(RejoinMethod.AlreadyOnHistory, outcome.Method);
        await Sql.HasRowAsync(c, 3);
        Assert.Equal(0L, await Sql.CountAsync(c, "t", "id = 2"));
        var status = await Eventually.ReturnsAsync(() => c.Probe.ReadStatusAsync(default), st => st.Timeline == 2, "c streams on timeline 2");
        Assert.Equal((await s.Probe.ReadStatusAsync(default)).History, status.History);
        Assert.True(fencedAt.Replayed < status.Position);
        // Following again finds nothing to rewind.
        await c.StopAsync(default);
        Assert.Null(await c.FollowAsync(chain.Peers[1], null, null, default));
    }
}
