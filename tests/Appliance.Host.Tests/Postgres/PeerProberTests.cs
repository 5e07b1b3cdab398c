using System.Globalization;
using Appliance.Host.Api;
using Appliance.Nodes.Postgres;
using Appliance.Nodes.State;

namespace Appliance.Host.Tests.Postgres;

/// <summary>
/// <c>/cluster</c>, <c>/status</c> and <c>verify</c> read peers through <see cref="PeerProber"/>; a burst of requests must
/// not turn into a burst of superuser connections (real PostgreSQL with max_connections = 30).
/// </summary>
[Trait("Category", "Postgres")]
public sealed class PeerProberTests
{
    [Fact]
    public async Task Two_hundred_concurrent_probes_share_reads_and_never_exhaust_max_connections()
    {
        await using var cluster = new TestCluster();
        var peer = TestCluster.Peer("p");
        var node = await cluster.NodeAsync(peer);
        await node.InitializeAsync(default);
        await node.StartSingletonPrimaryAsync(default);
        var maxConnections = int.Parse(await Sql.ScalarAsync<string>(node, "SHOW max_connections"), CultureInfo.InvariantCulture);
        Assert.True(maxConnections < 200, $"max_connections is {maxConnections}: the burst would not show the problem");
        var state = new ClusterState { Version = 1, Generation = 1, Primary = peer, Singleton = true };
        var prober = new PeerProber(TestCluster.Credentials);

        var views = await Task.WhenAll(Enumerable.Range(0, 200).Select(_ => Task.Run(() => prober.ProbeAsync(state, default))));
        var positions = await Task.WhenAll(Enumerable.Range(0, 200).Select(_ => Task.Run(() => prober.PrimaryPositionAsync(peer, default))));

        Assert.All(views, v => Assert.True(v.Single() is { Reachable: true, ReadWrite: true, Error: null }, $"a probe failed: {v.Single()}"));
        Assert.All(positions, p => Assert.NotNull(p));
    }

    [Fact]
    public async Task A_read_older_than_its_freshness_is_replaced()
    {
        await using var cluster = new TestCluster();
        var peer = TestCluster.Peer("p");
        var node = await cluster.NodeAsync(peer);
        await node.InitializeAsync(default);
        await node.StartSingletonPrimaryAsync(default);
        var prober = new PeerProber(TestCluster.Credentials);
        var before = await prober.PrimaryPositionAsync(peer, default);

        await Sql.ExecAsync(node, "CREATE TABLE moved (id int); INSERT INTO moved VALUES (1)");

        await Eventually.TrueAsync(async () => await prober.PrimaryPositionAsync(peer, default) > before,
            "the prober reports the primary's new WAL position once its read is stale");
    }

    [Fact]
    public async Task Reads_after_their_freshness_share_one_kept_session_until_the_peer_restarts()
    {
        await using var cluster = new TestCluster();
        var peer = TestCluster.Peer("p");
        var node = await cluster.NodeAsync(peer);
        await node.InitializeAsync(default);
        await node.StartSingletonPrimaryAsync(default);
        // A session age far past the test's length, so that a slow machine cannot retire the session between reads.
        await using var prober = new PeerProber(TestCluster.Credentials, TimeSpan.FromMinutes(10));
        var state = new ClusterState { Version = 1, Generation = 1, Primary = peer, Singleton = true };

        // Polled like a dashboard: every read past its freshness is a new read, and all of them run in one backend.
        var seen = new HashSet<int>();
        for (var i = 0; i < 3; i++)
        {
            var before = await prober.PrimaryPositionAsync(peer, default);
            await Sql.ExecAsync(node, $"CREATE TABLE IF NOT EXISTS polled (id int); INSERT INTO polled VALUES ({i})");
            await Eventually.TrueAsync(async () => await prober.PrimaryPositionAsync(peer, default) > before,
                "the prober reads the primary again once its read is stale");
            Assert.True((await prober.ProbeAsync(state, default)).Single() is { Reachable: true, Downstreams: [] });
            seen.UnionWith(await MonitorBackendsAsync(node));
        }
        Assert.True(seen.Count == 1, $"the peer served the reads from backends {string.Join(", ", seen)}: one login each");

        // A restarted peer breaks the session; a later read logs in afresh instead of reporting it down, and keeps that
        // session (the first reads after a start may log in as the superuser, before the start has corrected the
        // monitoring role, and those are never kept).
        await node.StopAsync(default);
        await node.StartSingletonPrimaryAsync(default);
        var after = await Eventually.ReturnsAsync(async () =>
            (await prober.ProbeAsync(state, default)).Single() is { Reachable: true, ReadWrite: true } ? await MonitorBackendsAsync(node) : [],
            backends => backends.Count == 1, "the prober reads the restarted peer on a monitoring session it keeps");
        Assert.DoesNotContain(after[0], seen);
    }

    private static async Task<List<int>> MonitorBackendsAsync(PostgresDriver node) =>
        [.. (await Sql.ScalarAsync<string>(node,
                $"SELECT coalesce(string_agg(pid::text, ','), '') FROM pg_stat_activity WHERE usename = '{ClusterCredentials.MonitorUser}'"))
            .Split(',', StringSplitOptions.RemoveEmptyEntries).Select(p => int.Parse(p, CultureInfo.InvariantCulture))];
}
