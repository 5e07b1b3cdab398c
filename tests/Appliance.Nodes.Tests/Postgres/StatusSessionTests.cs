using Appliance.Nodes.Postgres;
using Appliance.Nodes.State;

namespace Appliance.Nodes.Tests.Postgres;

/// <summary>
/// The node's periodic status reads (<see cref="PostgresDriver.ReadReportStatusAsync"/>) on real PostgreSQL: one monitoring
/// session stays open between reads, the first read after a driver operation runs in a fresh backend that sees the new
/// configuration, and a session closed under the driver is replaced without a failed read.
/// </summary>
[Trait("Category", "Postgres")]
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class StatusSessionTests
{
    private static Task<long[]> MonitorBackendsAsync(PostgresDriver node) =>
        Sql.ScalarAsync<long[]>(node,
            $"SELECT coalesce(array_agg(pid::bigint ORDER BY pid), '{{}}') FROM pg_stat_activity WHERE usename = '{ClusterCredentials.MonitorUser}'");

    private static async Task<long> KeptBackendAsync(PostgresDriver node) =>
        (await Eventually.ReturnsAsync(() => MonitorBackendsAsync(node), pids => pids.Length == 1, "one monitoring backend is left"))[0];

    [Fact]
    public async Task Status_reads_share_one_session_until_the_driver_changes_the_server()
    {
        await using var cluster = new TestCluster();
        // A session that never ages out here, so that only the driver's operations can replace it.
        var self = TestCluster.Peer("p");
        var primary = await cluster.NodeAsync(self, cluster.Settings(self) with
        {
            Timeouts = TestCluster.TestTimeouts with { StatusSession = TimeSpan.FromHours(1) },
        });
        await primary.InitializeAsync(default);
        await primary.StartPrimaryAsync(TestCluster.Peer("s1"), default);

        var first = await primary.ReadReportStatusAsync(CancellationToken.None);
        Assert.False(first.InRecovery);
        var kept = await KeptBackendAsync(primary);
        await primary.ReadReportStatusAsync(CancellationToken.None);
        await primary.ReadReportStatusAsync(CancellationToken.None);
        Assert.Equal(kept, await KeptBackendAsync(primary));

        // A role operation reloads the server: the next read is in a new backend and sees the new sync's name.
        await primary.NameSyncAsync("s2", CancellationToken.None);
        var renamed = await primary.ReadReportStatusAsync(CancellationToken.None);
        Assert.Contains("s2", renamed.SynchronousStandbyNames);
        var afterRename = await KeptBackendAsync(primary);
        Assert.NotEqual(kept, afterRename);

        // A reload of settings alone, too.
        await primary.ReloadAsync(CancellationToken.None);
        await primary.ReadReportStatusAsync(CancellationToken.None);
        Assert.NotEqual(afterRename, await KeptBackendAsync(primary));
    }

    [Fact]
    public async Task A_kept_session_that_was_closed_under_the_driver_is_replaced_without_a_failed_read()
    {
        await using var cluster = new TestCluster();
        var primary = await cluster.ReadOnlyPrimaryAsync(TestCluster.Peer("p"));
        await primary.ReadReportStatusAsync(CancellationToken.None);
        var kept = await KeptBackendAsync(primary);

        Assert.True(await Sql.ScalarAsync<bool>(primary, $"SELECT pg_terminate_backend({kept})"));
        await Eventually.TrueAsync(async () => !(await MonitorBackendsAsync(primary)).Contains(kept), "the terminated backend is gone");

        var status = await primary.ReadReportStatusAsync(CancellationToken.None);
        Assert.False(status.InRecovery);
        Assert.NotEqual(kept, await KeptBackendAsync(primary));
    }

    [Fact]
    public async Task A_session_past_its_max_age_gives_way_to_a_fresh_login()
    {
        // A fresh login now and then is how a node learns of a rotated superuser password (a refused login makes it read
        // its password file again); a session kept for good hid the rotation (PasswordRotationTests).
        await using var cluster = new TestCluster();
        var primary = await cluster.ReadOnlyPrimaryAsync(TestCluster.Peer("p"));
        await using var session = new StatusSession(primary.Probe, TimeSpan.FromSeconds(1));
        var epoch = new object();
        await session.ReadAsync(epoch, CancellationToken.None);
        var kept = await KeptBackendAsync(primary);

        var renewed = await Eventually.ReturnsAsync(async () =>
        {
            await session.ReadAsync(epoch, CancellationToken.None);
            return await KeptBackendAsync(primary);
        }, pid => pid != kept, "the same epoch's reads move to a fresh session once the first is a second old");

        Assert.DoesNotContain(kept, await Eventually.ReturnsAsync(() => MonitorBackendsAsync(primary), pids => pids.Length == 1, "the old session is closed"));
        Assert.NotEqual(kept, renewed);
    }

    [Fact]
    public async Task A_streaming_standbys_stall_checks_share_the_kept_session_and_read_no_history()
    {
        // The standby role checks every few seconds that its standby streams (StandbyStall); while it does, a check is
        // one query on the session the status reports keep, with no login and no replication connection.
        await using var cluster = new TestCluster();
        var chain = await Chain.BuildAsync(cluster, "p", "s");
        var standby = chain[1];
        var first = await Eventually.ReturnsAsync(() => standby.ReadStandbyProgressAsync(CancellationToken.None), r => r.Streaming, "s streams");
        Assert.Null(first.History);
        Assert.NotEqual(Lsn.Zero, first.Position);
        var kept = await KeptBackendAsync(standby);
        for (var i = 0; i < 3; i++)
        {
            var again = await standby.ReadStandbyProgressAsync(CancellationToken.None);
            Assert.True(again.Streaming);
            Assert.Null(again.History);
        }
        Assert.Equal(kept, await KeptBackendAsync(standby));
        await standby.ReadReportStatusAsync(CancellationToken.None);
        Assert.Equal(kept, await KeptBackendAsync(standby));

        // Once it does not stream, the check reads what the rule then needs: its replay position and its history.
        await Sql.ExecAsync(standby, "ALTER SYSTEM SET primary_conninfo = ''");
        await Sql.ExecAsync(standby, "SELECT pg_reload_conf()");
        var stopped = await Eventually.ReturnsAsync(() => standby.ReadStandbyProgressAsync(CancellationToken.None), r => !r.Streaming, "s stops streaming");
        Assert.NotNull(stopped.History);
        Assert.True(stopped.Position >= first.Position);
    }
}
