using Npgsql;
using Appliance.Nodes.Postgres;

namespace Appliance.Host.Tests.Processes;

/// <summary>A cluster whose nodes read the superuser's password from their own <c>--pg-password-file</c>, as README deploys them.</summary>
public sealed class PasswordFileClusterFixture : NodeClusterFixture
{
    public string PasswordFile(TestNode n) => Path.Combine(Dir, $"{n.Name}.pg-password");

    protected override bool ReliefOn => false;

    protected override void AddPassword(TestNode n, Dictionary<string, string> env)
    {
        if (!File.Exists(PasswordFile(n))) PrivateFile(PasswordFile(n), Password + "\n");
        env["APPLIANCE_PG_PASSWORD_FILE"] = PasswordFile(n);
        // No planned switchover off the coordinator's host in the middle of the test: it checks that nothing fails over.
        var config = Path.Combine(Dir, "no-relief.conf");
        if (!File.Exists(config)) File.WriteAllText(config, "appliance { coordinator { relieve-host-after = off } }\n");
        env["APPLIANCE_CONFIG"] = config;
    }
}

/// <summary>
/// <c>appliance rotate-password</c> on real nodes: the replication role's password, then the superuser's, change on every
/// node with no failover; standbys stream again on the new passwords after their connections drop; a rotation that some
/// node could not follow is refused with nothing changed. The steps build on each other, so they run as one test.
/// </summary>
[Trait("Category", "Cluster")]
public sealed class PasswordRotationTests(PasswordFileClusterFixture cluster) : IClassFixture<PasswordFileClusterFixture>
{
    private const string NewPassword = "rotated: new \\ one";

    [Fact]
    public async Task Rotations_change_every_nodes_passwords_without_a_failover_and_refuse_what_a_node_could_not_follow()
    {
        var primary = await PrimaryAsync();
        var generation = (await cluster.ClusterAsync(primary)).State!.Generation;

        // Replication: no file to change; the version moves on and every standby streams with it after a reconnect.
        var (code, output, error) = await NodeClusterFixture.CliAsync("rotate-password", "--role", "replication", "--endpoint", primary.Url);
        Assert.True(code == 0, $"rotate-password --role replication exited {code}: {output}{error}{cluster.Logs()}");
        Assert.Contains("version 2", output);
        Assert.Contains("Every peer", output);
        Assert.Equal("appliance/replication/v2", await ScalarAsync(primary, NodeClusterFixture.Password,
            "SELECT shobj_description(oid, 'pg_authid') FROM pg_roles WHERE rolname = 'replicator'"));
        await ReconnectEveryStandbyAsync(primary, NodeClusterFixture.Password);
        await NodeClusterFixture.WriteAsync(primary);

        // Superuser: a node that does not hold the new password would lose PostgreSQL, so nothing changes.
        var (n3, others) = (cluster.Nodes[2], cluster.Nodes.Take(2).ToList());
        foreach (var n in others) NodeClusterFixture.PrivateFile(cluster.PasswordFile(n), $"{NewPassword}\n{NodeClusterFixture.Password}\n");
        // The node asked takes the new password from its own file: n3's still starts with the one in use.
        var unchanged = await NodeClusterFixture.CliAsync("rotate-password", "--role", "superuser", "--endpoint", n3.Url);
        Assert.True(unchanged.Code == 1 && unchanged.Err.Contains("is the password in use"), unchanged.Out + unchanged.Err);
        var via = others[0];
        var refused = await RotateSuperuserUntilAsync(via, r => r.Code == 1 && r.Err.Contains($"{n3.Name} does not hold the new password"));
        Assert.True(refused.Code == 1, $"expected a refusal naming {n3.Name}: {refused.Out}{refused.Err}");
        await NodeClusterFixture.WriteAsync(primary, NodeClusterFixture.Password);

        // Every node holds it: the rotation goes through, the old password is refused, and nobody failed over.
        NodeClusterFixture.PrivateFile(cluster.PasswordFile(n3), $"{NewPassword}\n{NodeClusterFixture.Password}\n");
        var accepted = await RotateSuperuserUntilAsync(via, r => r.Code == 0);
        Assert.True(accepted.Code == 0, $"rotate-password --role superuser: {accepted.Out}{accepted.Err}{cluster.Logs()}");
        Assert.Contains("Every peer", accepted.Out);
        var old = await Assert.ThrowsAsync<PostgresException>(() => NodeClusterFixture.WriteAsync(primary, NodeClusterFixture.Password));
        Assert.Equal(PostgresErrorCodes.InvalidPassword, old.SqlState);
        await NodeClusterFixture.WriteAsync(primary, NewPassword);
        await ReconnectEveryStandbyAsync(primary, NewPassword);
        Assert.Equal(generation, (await cluster.ClusterAsync(primary)).State!.Generation);

        // A standby that lost its disk, started again with only the new password in its file, clones from a peer: as the
        // superuser and as the replication role at the version it reads from that peer, having no catalog of its own.
        var standby = cluster.Nodes.First(n => n != primary);
        standby.Process!.Signal(ProcessSignal.Term);
        await standby.Process.WaitAsync(TimeSpan.FromSeconds(60));
        ScratchDirectory.Delete(standby.DataDir);
        NodeClusterFixture.PrivateFile(cluster.PasswordFile(standby), NewPassword + "\n");
        standby.Process = cluster.StartNode(standby);
        await cluster.WaitHealthyAsync();
        // Without --backup-repo the copy can only be pg_basebackup's, and the node says why.
        Assert.Contains("with pg_basebackup: this node has no backup repository (--backup-repo)",
            await File.ReadAllTextAsync(Path.Combine(standby.DataDir, "postgresql.log")));
        await NodeClusterFixture.WriteAsync(await PrimaryAsync(), NewPassword);
    }

    private async Task<TestNode> PrimaryAsync()
    {
        TestNode? primary = null;
        await Eventually.TrueAsync(async () => (primary = await cluster.PrimaryAsync()) is not null, () => "a primary" + cluster.Logs(), TimeSpan.FromSeconds(60));
        return primary!;
    }

    /// <summary>
    /// Asks until <paramref name="done"/> holds: each node reports which passwords its file holds twice a second, so the
    /// coordinator learns of an edited file within a second or so.
    /// </summary>
    private static async Task<(int Code, string Out, string Err)> RotateSuperuserUntilAsync(TestNode via, Func<(int Code, string Out, string Err), bool> done)
    {
        (int Code, string Out, string Err) last = default;
        await Eventually.TrueAsync(async () =>
        {
            last = await NodeClusterFixture.CliAsync("rotate-password", "--role", "superuser", "--endpoint", via.Url);
            return done(last);
        }, () => $"rotate-password answers as expected; last: exit {last.Code}: {last.Out}{last.Err}", TimeSpan.FromSeconds(30));
        return last;
    }

    /// <summary>Drops every WAL sender of the primary, so standbys connect again with what their password file says now,
    /// and waits until every one streams again.</summary>
    private async Task ReconnectEveryStandbyAsync(TestNode primary, string password)
    {
        // Its downstream (the sync) reconnects to the primary; the asyncs' upstreams are standbys, dropped on each.
        foreach (var n in cluster.Live())
            await ScalarAsync(n, password, "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_replication");
        await cluster.WaitHealthyAsync();
        foreach (var n in cluster.Live().Where(n => n != primary))
            await Eventually.TrueAsync(async () => await ScalarAsync(n, password, "SELECT status FROM pg_stat_wal_receiver") as string == "streaming",
                () => $"{n.Name} streams again{cluster.Logs()}", TimeSpan.FromSeconds(60));
    }

    private static async Task<object?> ScalarAsync(TestNode n, string password, string sql)
    {
        var cs = new NpgsqlConnectionStringBuilder { Host = "127.0.0.1", Port = n.PgPort, Username = "postgres", Password = password, Database = "postgres", Timeout = 5, Pooling = false };
        await using var c = new NpgsqlConnection(cs.ConnectionString);
        await c.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, c);
        return await cmd.ExecuteScalarAsync();
    }
}
