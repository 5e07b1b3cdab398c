using Npgsql;

namespace Appliance.Backup.Tests;

/// <summary>
/// Issue 17 §5: a second cluster started with <c>--standby-of</c> the first one's PostgreSQL addresses follows it. Its
/// first state's primary is the standby leader, cloned from the source's primary and streaming from it; its sync and
/// async cascade from the leader. Real nodes and PostgreSQL, two clusters with their own state stores and ports.
/// </summary>
[Trait("Category", "Cluster")]
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class StandbyClusterProcessTests
{
    /// <summary>The source: a normal cluster that admits its standby clusters' network (<c>--standby-networks</c>).</summary>
    private sealed class SourceCluster : NodeClusterFixture
    {
        public override async Task InitializeAsync()
        {
            PrepareNodes();
            foreach (var n in Nodes) n.Process = StartNode(n, null, ["--standby-networks", "127.0.0.0/8"]);
            await Eventually.TrueAsync(async () => await PrimaryAsync() is not null, () => "the source takes writes" + Logs(lines: 200), TimeSpan.FromSeconds(120));
            await WaitHealthyAsync();
            await WaitSettledAsync();
        }
    }

    [Fact]
    public async Task A_standby_cluster_follows_its_source_through_a_failover_and_its_leader_takes_no_writes_and_is_replaced_when_lost()
    {
        var source = new SourceCluster();
        StandbyClusterFixture? standby = null;
        try
        {
            await source.InitializeAsync();
            var hba = File.ReadAllText(Path.Combine(source.Nodes[0].DataDir, "pgdata", "pg_hba.conf"));
            Assert.Matches(@"host\s+replication\s+\S+\s+127\.0\.0\.0/8\s+scram-sha-256", hba);
            var sourcePrimary = (await source.PrimaryAsync())!;
            await BackupClusterFixture.ScalarAsync(sourcePrimary.PgPort, "CREATE TABLE followed (id int PRIMARY KEY)");
            await BackupClusterFixture.ScalarAsync(sourcePrimary.PgPort, "INSERT INTO followed SELECT generate_series(1, 100)");

            var addresses = string.Join(",", source.Nodes.Select(n => $"127.0.0.1:{n.PgPort}"));
            standby = new StandbyClusterFixture(["--standby-of", addresses]);
            await standby.InitializeAsync();

            // Rows written on the source after the standby cluster was cloned reach every node of it.
            await BackupClusterFixture.ScalarAsync(sourcePrimary.PgPort, "INSERT INTO followed SELECT generate_series(101, 200)");
            await standby.WaitRowsEverywhereAsync("followed", 200);

            // One standby leader, no primary, and the leader refuses writes.
            var leaders = await standby.PassingAsync("/standby-leader");
            var leader = Assert.Single(leaders);
            Assert.Empty(await standby.PassingAsync("/primary"));
            var status = await standby.StatusAsync(leader);
            Assert.Equal("primary", status.Role);
            Assert.Equal(addresses, status.StandbyOf);
            Assert.False(status.ReadWrite);
            var refused = await Assert.ThrowsAsync<PostgresException>(() => NodeClusterFixture.WriteAsync(leader));
            Assert.Equal(PostgresErrorCodes.ReadOnlySqlTransaction, refused.SqlState);

            // The source's own check is untouched: its primary still answers /primary, and /standby-leader nowhere.
            Assert.Equal(sourcePrimary, await source.PrimaryAsync());
            using (var r = await source.Http.GetAsync(sourcePrimary.Url + "/standby-leader")) Assert.Equal(503, (int)r.StatusCode);

            // The leader streams from the source's primary under a name no peer id can have, so the source never takes
            // it for its sync.
            var names = await BackupClusterFixture.ScalarAsync(sourcePrimary.PgPort,
                "SELECT string_agg(application_name || '=' || sync_state, ',' ORDER BY application_name) FROM pg_stat_replication");
            Assert.Contains($"appliance-standby:{leader.Name}=async", (string)names!);

            var (code, output, err) = await NodeClusterFixture.CliAsync("status", "--endpoint", leader.Url);
            Assert.True(code == 0, $"status exited {code}: {output}{err}");
            Assert.Contains($"standby cluster of {addresses}", output);
            Assert.DoesNotContain("warning:", output);

            // The source fails over: its primary's node dies with PostgreSQL, its sync takes over on a new timeline, and
            // the leader's WAL receiver finds the new primary among the hosts it was given (target_session_attrs) and
            // follows the new timeline. Nothing is written while the old primary dies, so the leader holds no WAL past
            // the fork (the case ARCHITECTURE §15 does not handle).
            using (var host = System.Diagnostics.Process.GetProcessById(sourcePrimary.Process!.Id)) host.Kill(entireProcessTree: true);
            await sourcePrimary.Process.WaitAsync(TimeSpan.FromSeconds(30));
            TestNode? newPrimary = null;
            await Eventually.TrueAsync(async () => (newPrimary = await source.PrimaryAsync()) is not null && newPrimary != sourcePrimary,
                () => "another source node takes writes after the source primary died" + source.Logs(), TimeSpan.FromSeconds(120));
            await BackupClusterFixture.ScalarAsync(newPrimary!.PgPort, "INSERT INTO followed SELECT generate_series(201, 250)");
            var sourceTimeline = (await source.StatusAsync(newPrimary)).Timeline;
            var seenAfter = "";
            await Eventually.TrueAsync(async () =>
            {
                var seen = new List<string>();
                foreach (var n in standby.Nodes)
                    seen.Add((string)(await BackupClusterFixture.ScalarAsync(n.PgPort,
                        "SELECT count(*) || '@' || (SELECT received_tli FROM pg_stat_wal_receiver UNION ALL SELECT 0 LIMIT 1) FROM followed"))!);
                seenAfter = string.Join(",", seen);
                return seen.All(c => c.StartsWith("250@", StringComparison.Ordinal));
            }, () => $"every node of the standby cluster holds the 250 rows written before and after the source's failover (count@timeline: {seenAfter}; source timeline {sourceTimeline})" + standby.Logs(),
                TimeSpan.FromSeconds(90));
            Assert.Equal(leader, Assert.Single(await standby.PassingAsync("/standby-leader")));

            // The standby leader dies with its PostgreSQL: its sync leads in its place in the next generation, without a
            // promotion, and streams from the source's primary itself; the async becomes its sync.
            var oldView = await standby.ClusterAsync(leader);
            using (var host = System.Diagnostics.Process.GetProcessById(leader.Process!.Id)) host.Kill(entireProcessTree: true);
            await leader.Process.WaitAsync(TimeSpan.FromSeconds(30));
            TestNode? newLeader = null;
            await Eventually.TrueAsync(async () => (newLeader = (await standby.PassingAsync("/standby-leader")).SingleOrDefault()) is not null,
                () => "another node leads the standby cluster after its leader died" + standby.Logs(), TimeSpan.FromSeconds(120));
            Assert.Equal(oldView.State!.Sync!.Id, newLeader!.Name);
            Assert.Empty(await standby.PassingAsync("/primary"));
            var replaced = (await standby.ClusterAsync(newLeader)).State!;
            Assert.Equal(oldView.State.Generation + 1, replaced.Generation);
            Assert.Equal(oldView.State.Async[0].Id, replaced.Sync!.Id);
            Assert.Equal(addresses, replaced.StandbyOf);
            await BackupClusterFixture.ScalarAsync(newPrimary.PgPort, "INSERT INTO followed SELECT generate_series(251, 300)");
            await standby.WaitRowsEverywhereAsync("followed", 300);
            // The receiver may be between connections at any one read; it must settle on the source's primary.
            object? senderPort = null;
            await Eventually.TrueAsync(async () => Equals(senderPort = await BackupClusterFixture.ScalarAsync(newLeader.PgPort,
                    "SELECT sender_port FROM pg_stat_wal_receiver WHERE status = 'streaming'"), newPrimary.PgPort),
                () => $"{newLeader.Name} streams from the source's primary on port {newPrimary.PgPort} (sender port {senderPort ?? "none"})" + standby.Logs(),
                TimeSpan.FromSeconds(60));
            refused = await Assert.ThrowsAsync<PostgresException>(() => NodeClusterFixture.WriteAsync(newLeader));
            Assert.Equal(PostgresErrorCodes.ReadOnlySqlTransaction, refused.SqlState);

            // The old leader comes back as an async at the tail (it was never promoted: nothing to rewind) and catches up.
            leader.Process = standby.StartNode(leader, null, ["--standby-of", addresses]);
            await standby.WaitHealthyAsync();
            await standby.WaitRowsEverywhereAsync("followed", 300);
            var rejoined = (await standby.ClusterAsync(newLeader)).State!;
            Assert.Equal(leader.Name, rejoined.Async[^1].Id);
            Assert.Equal(newLeader, Assert.Single(await standby.PassingAsync("/standby-leader")));
            var history = await NodeClusterFixture.CliAsync("history", "--json", "--endpoint", newLeader.Url);
            Assert.True(history.Code == 0, $"history exited {history.Code}: {history.Out}{history.Err}");
            Assert.Contains("StandbyLeaderReplaced", history.Out);
        }
        finally
        {
            if (standby is not null) await standby.DisposeAsync();
            await source.DisposeAsync();
        }
    }
    /// <summary>
    /// The source site is lost: every source node dies with its PostgreSQL. The operator runs <c>appliance
    /// promote-cluster</c> at the standby site, whose leader then stops following, is promoted onto the timeline numbered
    /// as its new generation, and takes writes once its sync is synchronous. Before that, promote-cluster on the source
    /// (a normal cluster) is refused. The source switched over once before the standby cluster was made, so the leader
    /// follows timeline 2 (or later, if the source started a generation before) and the promotion must skip past it.
    /// </summary>
    [Fact]
    public async Task A_standby_cluster_is_promoted_when_its_source_is_lost()
    {
        var source = new SourceCluster();
        StandbyClusterFixture? standby = null;
        try
        {
            await source.InitializeAsync();
            var first = (await source.PrimaryAsync())!;
            var refused = await NodeClusterFixture.CliAsync("promote-cluster", "--endpoint", first.Url);
            Assert.True(refused.Code == 1, $"promote-cluster on a normal cluster exited {refused.Code}: {refused.Out}{refused.Err}");
            Assert.Contains("refused (409 NotStandbyCluster)", refused.Err);

            var switched = await NodeClusterFixture.CliAsync("switchover", "--endpoint", first.Url);
            Assert.True(switched.Code == 0, $"switchover exited {switched.Code}: {switched.Out}{switched.Err}");
            TestNode? sourcePrimary = null;
            await Eventually.TrueAsync(async () => (sourcePrimary = await source.PrimaryAsync()) is not null && sourcePrimary != first,
                () => "the source's sync takes writes after the switchover" + source.Logs(), TimeSpan.FromSeconds(120));
            // Settled, not only healthy: the coordinator relieves its own host of the primary or sync some 15 s after a
            // switchover that put one there, by a second switchover; a CI run wrote to the old primary after that one
            // ("cannot execute INSERT in a read-only transaction"). The primary is the one after any relief.
            await source.WaitSettledAsync();
            sourcePrimary = await source.PrimaryAsync();
            Assert.NotNull(sourcePrimary);
            // At least 2: a generation the source started before the switchover (its coordinator's host relieved of
            // the sync, a sync replaced while it formed) makes the promotion skip to that generation's number.
            var sourceTimeline = (await source.StatusAsync(sourcePrimary!)).Timeline!.Value;
            Assert.True(sourceTimeline >= 2, $"the source's primary is on timeline {sourceTimeline} after a switchover");
            await BackupClusterFixture.ScalarAsync(sourcePrimary!.PgPort, "CREATE TABLE kept (id int PRIMARY KEY)");
            await BackupClusterFixture.ScalarAsync(sourcePrimary.PgPort, "INSERT INTO kept SELECT generate_series(1, 100)");

            standby = new StandbyClusterFixture(["--standby-of", string.Join(",", source.Nodes.Select(n => $"127.0.0.1:{n.PgPort}"))]);
            await standby.InitializeAsync();
            await BackupClusterFixture.ScalarAsync(sourcePrimary.PgPort, "INSERT INTO kept SELECT generate_series(101, 200)");
            await standby.WaitRowsEverywhereAsync("kept", 200);
            var leader = Assert.Single(await standby.PassingAsync("/standby-leader"));
            await Eventually.TrueAsync(async () => (await standby.StatusAsync(leader)).Streaming,
                () => "the leader's /status says it streams from the source" + standby.Logs(), TimeSpan.FromSeconds(60));

            // The source site is lost: its nodes and every PostgreSQL of it die, and the leader's receiver notices.
            foreach (var n in source.Live().ToList())
            {
                using (var host = System.Diagnostics.Process.GetProcessById(n.Process!.Id)) host.Kill(entireProcessTree: true);
                await n.Process.WaitAsync(TimeSpan.FromSeconds(30));
            }
            foreach (var left in AppProcess.ProcessesMentioning(source.Dir))
                if (int.TryParse(left.Split(':')[0], out var pid))
                    try { System.Diagnostics.Process.GetProcessById(pid).Kill(); } catch (ArgumentException) { }
            await Eventually.TrueAsync(async () => AppProcess.ProcessesMentioning(source.Dir).Count == 0 && !(await standby.StatusAsync(leader)).Streaming,
                () => $"the source's processes are gone ({string.Join("; ", AppProcess.ProcessesMentioning(source.Dir))}) and the leader no longer streams" + standby.Logs(),
                TimeSpan.FromSeconds(60));

            var promoted = await NodeClusterFixture.CliAsync("promote-cluster", "--endpoint", leader.Url);
            Assert.True(promoted.Code == 0, $"promote-cluster exited {promoted.Code}: {promoted.Out}{promoted.Err}" + standby.Logs());
            Assert.Contains("accepted (ClusterPromoted)", promoted.Out);

            await Eventually.TrueAsync(async () => await standby.PrimaryAsync() == leader,
                () => "the promoted leader takes writes" + standby.Logs(lines: 60), TimeSpan.FromSeconds(120));
            Assert.Empty(await standby.PassingAsync("/standby-leader"));
            Assert.Equal(1L, await NodeClusterFixture.WriteAsync(leader));
            Assert.Equal(200L, (long)(await BackupClusterFixture.ScalarAsync(leader.PgPort, "SELECT count(*) FROM kept"))!);

            var status = await standby.StatusAsync(leader);
            Assert.Null(status.StandbyOf);
            Assert.True(status.ReadWrite);
            Assert.Equal(sourceTimeline + 1, status.Generation);   // past the source's timeline
            Assert.Equal(status.Generation, status.Timeline);

            var sync = await BackupClusterFixture.ScalarAsync(leader.PgPort,
                "SELECT string_agg(application_name || '=' || sync_state, ',' ORDER BY application_name) FROM pg_stat_replication");
            var syncName = (await standby.ClusterAsync(leader)).State!.Sync!.Id;
            Assert.Contains($"{syncName}=sync", (string)sync!);

            var history = await NodeClusterFixture.CliAsync("history", "--json", "--endpoint", leader.Url);
            Assert.True(history.Code == 0, $"history exited {history.Code}: {history.Out}{history.Err}");
            Assert.Contains("ClusterPromoted", history.Out);
        }
        finally
        {
            if (standby is not null) await standby.DisposeAsync();
            await source.DisposeAsync();
        }
    }
}
