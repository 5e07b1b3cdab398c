using System.Net.Http.Json;
using Appliance.Host.Api;
using Appliance.Host.Tls;
using Appliance.Nodes.Tests.Postgres;
using Npgsql;

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
        await Wait.UntilAsync(() => Task.FromResult(cluster.Nodes.Any(n => n.Process!.Stdout.Contains("TLS: refused"))),
            () => "a member logs that it refused the intruder's certificate" + cluster.Logs() + $"\n--- x1 ---\n{process.Stdout}{process.Stderr}",
            TimeSpan.FromSeconds(60));
        Assert.False(process.HasExited, process.Stderr);
        Assert.DoesNotContain(cluster.Nodes, n => n.Process!.Stdout.Contains($"127.0.0.1:{intruder.AkkaPort}] is JOINING"));
        Assert.DoesNotContain("Welcome from", process.Stdout);
        var peers = (await cluster.ClusterAsync(cluster.Nodes[0])).Peers;
        Assert.DoesNotContain(peers, p => p.Id == "x1");
    }
}
