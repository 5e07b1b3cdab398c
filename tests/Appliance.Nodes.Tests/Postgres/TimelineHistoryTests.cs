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

        await p.KillAsync(default);
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
        Assert.Equal(history, (await Eventually.ReturnsAsync(() => p.Probe.ReadStatusAsync(default), st => st.Timeline == 5, "p follows timeline 5")).History);
    }
}
