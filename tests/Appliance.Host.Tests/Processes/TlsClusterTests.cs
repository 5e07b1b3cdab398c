using Akka.Actor;
using Akka.Configuration;
using Akka.Remote.Transport.DotNetty;
using Appliance.Actors.Client;
using Appliance.Actors.Serialization;
using Appliance.Host.Node;
using Appliance.Host.Tls;
using Npgsql;
using Appliance.Nodes.Postgres;

namespace Appliance.Host.Tests.Processes;

/// <summary>Three node processes with certificates from one CA (passed as APPLIANCE_TLS_* variables).</summary>
public sealed class TlsNodeClusterFixture() : NodeClusterFixture(tls: true);

/// <summary>
/// TLS on all three planes with real handshakes: the API answers over HTTPS checked against the CA, the cluster
/// forms over mutually authenticated Akka remoting, replication runs over TLS, and a node whose certificate another
/// CA signed never becomes a member.
/// </summary>
[Trait("Category", "Cluster")]
public sealed class TlsClusterTests(TlsNodeClusterFixture cluster) : IClassFixture<TlsNodeClusterFixture>
{
    [Fact]
    public async Task The_api_answers_over_https_verified_against_the_ca_and_the_cli_refuses_any_other()
    {
        var n1 = cluster.Nodes[0];
        Assert.StartsWith("https://", n1.Url);
        // Mutual Akka TLS works: all three are members that the coordinator placed.
        Assert.Equal(3, (await cluster.ClusterAsync(n1)).Peers.Count);

        var (code, output, err) = await AppProcess.RunAsync(
            new Dictionary<string, string> { ["APPLIANCE_CA"] = cluster.CaFile }, "status", "--endpoint", n1.Url, "--token-file", cluster.ReadTokenFile);
        Assert.True(code == 0, err);
        Assert.Contains("PEER", output);

        // The system's store does not know our CA, and another CA's file is no better.
        (code, _, err) = await AppProcess.RunAsync("status", "--endpoint", n1.Url, "--token-file", cluster.ReadTokenFile);
        Assert.Equal(2, code);
        Assert.Contains($"Refused the node at {n1.Url}", err);
        Assert.Contains("--ca FILE", err);
        var other = Path.Combine(cluster.Dir, "other-ca");
        using (var ca = CertificateAuthority.Create("another CA")) ca.WriteNodeFiles(other, []);
        (code, _, err) = await AppProcess.RunAsync("status", "--endpoint", n1.Url, "--ca", Path.Combine(other, CertificateAuthority.CaFileName));
        Assert.Equal(2, code);
        Assert.Contains("not signed by our CA", err);

        // The certificate names 127.0.0.1 but not this name, and the CLI checks the name.
        (code, _, err) = await AppProcess.RunAsync("status", "--endpoint", n1.Url.Replace("127.0.0.1", "127.0.0.2"), "--ca", cluster.CaFile);
        Assert.Equal(2, code);
    }

    [Fact]
    public async Task Replication_and_clients_use_tls_verified_against_the_ca()
    {
        await cluster.WaitHealthyAsync();
        var primary = await cluster.NodeInRoleAsync("primary");
        var cs = new NpgsqlConnectionStringBuilder
        {
            Host = "127.0.0.1", Port = primary.PgPort, Username = "postgres", Password = NodeClusterFixture.Password, Database = "postgres",
            Pooling = false, SslMode = SslMode.VerifyCA, RootCertificate = cluster.CaFile,
        };
        await using var c = new NpgsqlConnection(cs.ConnectionString);
        await c.OpenAsync();
        await using (var self = new NpgsqlCommand("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()", c))
            Assert.True((bool)(await self.ExecuteScalarAsync())!);
        await using var replication = new NpgsqlCommand("SELECT application_name, ssl FROM pg_stat_ssl JOIN pg_stat_replication USING (pid)", c);
        await using var reader = await replication.ExecuteReaderAsync();
        var streams = new List<(string Name, bool Ssl)>();
        while (await reader.ReadAsync()) streams.Add((reader.GetString(0), reader.GetBoolean(1)));
        Assert.NotEmpty(streams);
        Assert.All(streams, s => Assert.True(s.Ssl, $"{s.Name} replicates without TLS"));
    }

    [Fact]
    public async Task A_node_with_a_certificate_from_another_ca_is_refused_by_the_cluster()
    {
        var dir = Path.Combine(cluster.Dir, "intruder");
        TlsFiles files;
        using (var ca = CertificateAuthority.Create("intruder CA")) files = ca.WriteNodeFiles(Path.Combine(dir, "tls"), ["x1"])[0];
        var intruder = new TestNode("x1", TestCluster.FreePort(), TestCluster.FreePort(), TestCluster.FreePort(), Path.Combine(dir, "x1")) { Scheme = "https" };
        await using var process = cluster.StartNode(intruder, files);
        await Eventually.TrueAsync(() => Task.FromResult(cluster.Nodes.Any(n => n.Process!.Stdout.Contains("TLS: refused"))),
            () => "a member logs that it refused the intruder's certificate" + cluster.Logs() + $"\n--- x1 ---\n{process.Stdout}{process.Stderr}",
            TimeSpan.FromSeconds(60));
        Assert.False(process.HasExited, process.Stderr);
        Assert.DoesNotContain(cluster.Nodes, n => n.Process!.Stdout.Contains($"127.0.0.1:{intruder.AkkaPort}] is JOINING"));
        Assert.DoesNotContain("Welcome from", process.Stdout);
        var peers = (await cluster.ClusterAsync(cluster.Nodes[0])).Peers;
        Assert.DoesNotContain(peers, p => p.Id == "x1");
    }

    [Fact]
    public async Task A_node_outside_the_seed_list_joins_clones_and_streams_over_tls_as_the_replication_role()
    {
        await cluster.WaitHealthyAsync();
        // Not in cluster.Nodes, so not a seed: pg_hba admits it only because the cluster state names it.
        var n4 = new TestNode("n4", TestCluster.FreePort(), TestCluster.FreePort(), TestCluster.FreePort(), Path.Combine(cluster.Dir, "n4")) { Scheme = "https" };
        await using (var process = cluster.StartNode(n4))
        {
            string? upstreamId = null;
            await Eventually.TrueAsync(async () =>
                (upstreamId = (await cluster.ClusterAsync(cluster.Nodes[0])).Peers.SingleOrDefault(p => p.Id == "n4")?.Upstream) is not null,
                () => "the cluster gives n4 an upstream" + cluster.Logs() + $"\n--- n4 ---\n{process.Stdout}{process.Stderr}", TimeSpan.FromSeconds(60));
            var upstream = cluster.Nodes.Single(n => n.Name == upstreamId);
            var cs = new NpgsqlConnectionStringBuilder
            {
                Host = "127.0.0.1", Port = upstream.PgPort, Username = "postgres", Password = NodeClusterFixture.Password, Database = "postgres",
                Pooling = false, SslMode = SslMode.VerifyCA, RootCertificate = cluster.CaFile,
            };
            (string User, bool Ssl)? stream = null;
            await Eventually.TrueAsync(async () =>
            {
                await using var c = new NpgsqlConnection(cs.ConnectionString);
                await c.OpenAsync();
                await using var read = new NpgsqlCommand(
                    "SELECT usename, ssl FROM pg_stat_replication JOIN pg_stat_ssl USING (pid) WHERE application_name = 'n4' AND state = 'streaming'", c);
                await using var reader = await read.ExecuteReaderAsync();
                if (await reader.ReadAsync()) stream = (reader.GetString(0), reader.GetBoolean(1));
                return stream is not null;
            }, () => $"n4 streams from {upstreamId}" + cluster.Logs() + $"\n--- n4 ---\n{process.Stdout}{process.Stderr}", TimeSpan.FromSeconds(120));
            Assert.Equal(("replicator", true), stream);
            process.Signal(ProcessSignal.Term);
            await process.WaitAsync(TimeSpan.FromSeconds(60));
        }
        // The other tests of this class see the three nodes again.
        await Eventually.TrueAsync(async () => (await cluster.ClusterAsync(cluster.Nodes[0])).State is { } state
                && !state.Async.Append(state.Sync).Append(state.Primary).Concat(state.Deposed).Any(p => p?.Id == "n4"),
            () => "the state no longer names n4" + cluster.Logs(), TimeSpan.FromSeconds(60));
    }

    [Fact]
    public async Task An_application_with_a_certificate_from_the_ca_follows_the_cluster_and_its_client_connects_verified_by_the_ca()
    {
        await cluster.WaitHealthyAsync();
        using var certificate = NodeCertificate.Load(new TlsFiles(Path.Combine(cluster.TlsDir, "n4.crt"), Path.Combine(cluster.TlsDir, "n4.key"), cluster.CaFile));
        CertificateValidationCallback ourCaOnly = (peer, chain, _, _, _) => peer is not null && CustomRootTrust.Problem(peer, certificate.Ca, chain) is null;
        var config = ConfigurationFactory.ParseString($$"""
            akka.actor.provider = cluster
            akka.remote.dot-netty.tcp { hostname = 127.0.0.1, port = 0, enable-ssl = true }
            akka.cluster.roles = ["{{ApplianceClient.ClientRole}}"]
            akka.cluster.seed-nodes = [{{string.Join(", ", cluster.Nodes.Select(n => $"\"akka.ssl.tcp://appliance@127.0.0.1:{n.AkkaPort}\""))}}]
            akka.coordinated-shutdown.exit-clr = off
            akka.coordinated-shutdown.run-by-clr-shutdown-hook = off
            akka.loglevel = WARNING
            """).WithFallback(ApplianceSerialization.Config);
        using var application = ActorSystem.Create("appliance", BootstrapSetup.Create().WithConfig(config)
            .And(new DotNettySslSetup(certificate.Certificate, suppressValidation: false, requireMutualAuthentication: true,
                validateCertificateHostname: false, ourCaOnly)));

        await using var client = ApplianceClient.Start(application,
            $"Host=unused;Username=postgres;Password={NodeClusterFixture.Password};Database=postgres;Timeout=5", cluster.CaFile);
        var state = await client.WaitForStateAsync(_ => true).WaitAsync(TimeSpan.FromSeconds(60));
        await using var connection = await client.OpenPrimaryConnectionAsync();
        Assert.Equal(state.Primary.Port, connection.Port);
        await using var ssl = new NpgsqlCommand("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()", connection);
        Assert.True((bool)(await ssl.ExecuteScalarAsync())!);
        Assert.Equal(SslMode.VerifyCA, new NpgsqlConnectionStringBuilder(client.Primary!.ConnectionString).SslMode);
        await CoordinatedShutdown.Get(application).Run(CoordinatedShutdown.ClrExitReason.Instance);
    }
}
