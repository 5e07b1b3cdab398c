using Appliance.Nodes.Postgres;

namespace Appliance.Nodes.Tests.Postgres;

/// <summary>A new async is cloned from a standby, not from the primary, while writes continue.</summary>
[Trait("Category", "Postgres")]
public sealed class CloneTests
{
    [Fact]
    public async Task A_new_async_clones_from_a_standby_while_the_primary_keeps_taking_writes()
    {
        await using var cluster = new TestCluster();
        var chain = await Chain.BuildAsync(cluster, "p", "s");
        var (primary, sync) = (chain[0], chain[1]);
        var a0 = TestCluster.Peer("a0");
        var async0 = await cluster.NodeAsync(a0);

        using var stopWriting = new CancellationTokenSource();
        var written = 1;
        var writer = Task.Run(async () =>
        {
            await using var c = await Sql.ConnectAsync(primary);
            while (!stopWriting.IsCancellationRequested)
            {
                await using var cmd = new Npgsql.NpgsqlCommand($"INSERT INTO t VALUES ({written + 1})", c);
                await cmd.ExecuteNonQueryAsync();
                written++;
            }
        });
        await Eventually.TrueAsync(() => Task.FromResult(Volatile.Read(ref written) > 50 || writer.IsFaulted), "writes are flowing");

        var progress = new ProgressRecorder();
        await async0.FollowAsync(chain.Peers[1], null, progress, default);
        var duringClone = Volatile.Read(ref written);
        await Eventually.TrueAsync(() => Task.FromResult(Volatile.Read(ref written) > duringClone + 50 || writer.IsFaulted),
            "writes continue after the clone");
        await stopWriting.CancelAsync();
        await writer;

        await Sql.HasRowAsync(async0, written);
        Assert.Equal((long)written, await Sql.CountAsync(async0, "t"));
        Assert.Contains(await sync.Probe.ReadDownstreamsAsync(default), d => d.ApplicationName == "a0");
        Assert.DoesNotContain(await primary.Probe.ReadDownstreamsAsync(default), d => d.ApplicationName == "a0");

        var reports = progress.Reports.ToArray();
        Assert.NotEmpty(reports);
        Assert.All(reports, r => Assert.True(r.BytesTotal > 0));
        var last = reports[^1];
        Assert.True(last.BytesDone >= last.BytesTotal * 0.9, $"last progress {last.BytesDone}/{last.BytesTotal}");
    }

    [Fact]
    public async Task A_finished_clone_is_a_standby_before_its_first_start_so_an_interrupted_start_is_not_taken_for_a_former_primary()
    {
        await using var cluster = new TestCluster();
        var chain = await Chain.BuildAsync(cluster, "p", "s");
        var async0 = await cluster.NodeAsync(TestCluster.Peer("a0"));

        // What FollowAsync does before it starts the server; a new state can cancel the start right after it. Cloned
        // from the primary, whose copy has no standby.signal of its own (a standby's does): CI's new sync was cloned
        // from its upstream just after that upstream was promoted.
        await BaseBackupCloner.CloneAsync(async0.Binaries, async0.Settings, chain.Peers[0], async0.DataDirectory, null, default);
        Assert.True(async0.DataDirectory.HasStandbySignal, "a finished clone lacks standby.signal");
        Assert.False(async0.RejoinPending);

        // The next attempt follows without a rewind, and the clone streams.
        await async0.FollowAsync(chain.Peers[0], null, null, default);
        Assert.True((await async0.Probe.ReadStatusAsync(default)).InRecovery);
        await Sql.ExecAsync(chain[0], "INSERT INTO t VALUES (4242)");
        await Sql.HasRowAsync(async0, 4242);
    }

    [Fact]
    public async Task An_upstream_can_be_cloned_only_once_it_runs_and_holds_the_replication_role()
    {
        // What a new cluster's sync polls while its primary still runs initdb, instead of failing into its backoff.
        await using var cluster = new TestCluster();
        var p = TestCluster.Peer("p");
        var primary = await cluster.NodeAsync(p);
        var replica = await cluster.NodeAsync(TestCluster.Peer("a0"));
        Assert.Contains("does not answer yet", await BaseBackupCloner.WhyNotReadyToCloneAsync(p, replica.Settings, default));

        await primary.InitializeAsync(default);
        await primary.StartSingletonPrimaryAsync(default);
        Assert.Null(await BaseBackupCloner.WhyNotReadyToCloneAsync(p, replica.Settings, default));

        await Sql.ExecAsync(primary, $"ALTER ROLE {primary.Settings.Credentials.ReplicationUser} NOREPLICATION");
        Assert.Contains("no replication role", await BaseBackupCloner.WhyNotReadyToCloneAsync(p, replica.Settings, default));

        // A refusal is not something waiting cures: it surfaces in PostgreSQL's words instead of an endless wait.
        var wrong = replica.Settings with { Credentials = replica.Settings.Credentials with { SuperuserPassword = "not-the-password" } };
        var refused = await Assert.ThrowsAsync<Npgsql.PostgresException>(() => BaseBackupCloner.WhyNotReadyToCloneAsync(p, wrong, default));
        Assert.Equal(Npgsql.PostgresErrorCodes.InvalidPassword, refused.SqlState);
    }
}
