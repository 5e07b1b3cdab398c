using Appliance.Nodes.Backup;
using Appliance.Nodes.Postgres;

namespace Appliance.Nodes.Tests.Postgres;

/// <summary>The pgBackRest server's config and the arguments of a backup from a standby.</summary>
[Trait("Category", "Unit")]
public sealed class PgBackRestServerTests
{
    private static readonly BackupSettings Settings = new("/backups/repo", "appliance", "/data/n1/pgbackrest", []);
    private static readonly PostgresTls Tls = PostgresTls.In("/data/n1/tls");

    [Fact]
    public void The_server_admits_only_the_named_clients_for_the_clusters_stanza_with_the_nodes_certificate()
    {
        var text = new PgBackRestServer("10.0.0.1", 8432, Tls, ["n2", "n1", "n3", "n2"]).Render(Settings, "/data/n1/pgdata", 5432);
        var lines = text.Split('\n');
        Assert.Equal(["tls-server-auth=n1=appliance", "tls-server-auth=n2=appliance", "tls-server-auth=n3=appliance"],
            lines.Where(l => l.StartsWith("tls-server-auth=", StringComparison.Ordinal)));
        Assert.DoesNotContain("*", text);
        Assert.Contains("tls-server-address=10.0.0.1", lines);
        Assert.Contains("tls-server-port=8432", lines);
        Assert.Contains("tls-server-cert-file=/data/n1/tls/server.crt", lines);
        Assert.Contains("tls-server-key-file=/data/n1/tls/server.key", lines);
        Assert.Contains("tls-server-ca-file=/data/n1/tls/ca.crt", lines);
        // The commands it runs for a client see this node's own stanza: its data directory, port, locks.
        Assert.Contains("pg1-path=/data/n1/pgdata", lines);
        Assert.Contains("lock-path=/data/n1/pgbackrest/lock", lines);
        Assert.Single(lines, l => l == "[global]");
        Assert.True(Array.IndexOf(lines, "[global]") < Array.IndexOf(lines, "tls-server-port=8432"));
        Assert.True(Array.IndexOf(lines, "tls-server-port=8432") < Array.IndexOf(lines, "[appliance]"));
    }

    [Fact]
    public void A_server_with_no_client_or_a_name_that_would_widen_it_is_refused()
    {
        Assert.Throws<ArgumentException>(() => new PgBackRestServer("h", 1, Tls, []).Render(Settings, "/d", 5432));
        Assert.Throws<ArgumentException>(() => new PgBackRestServer("h", 1, Tls, ["*"]).Render(Settings, "/d", 5432));
        Assert.Throws<ArgumentException>(() => new PgBackRestServer("h", 1, Tls, ["n1=*"]).Render(Settings, "/d", 5432));
        Assert.Throws<ArgumentException>(() => new PgBackRestServer("h", 1, Tls, ["n1\ntls-server-auth=x=*"]).Render(Settings, "/d", 5432));
    }

    [Fact]
    public void A_backup_from_a_standby_names_the_primary_as_pg2_behind_its_tls_server()
    {
        var args = new PrimaryEndpoint("10.0.0.1", 5433, "/data/n1/pgdata", 8433).Arguments(PostgresTls.In("/data/n3/tls"));
        Assert.Equal(
        [
            "--backup-standby", "--pg2-host=10.0.0.1", "--pg2-host-type=tls", "--pg2-host-port=8433",
            "--pg2-host-cert-file=/data/n3/tls/server.crt", "--pg2-host-key-file=/data/n3/tls/server.key", "--pg2-host-ca-file=/data/n3/tls/ca.crt",
            "--pg2-path=/data/n1/pgdata", "--pg2-port=5433", "--pg2-user=postgres",
        ], args);
    }

    [Fact]
    public async Task A_standby_backup_without_tls_is_refused_before_pgbackrest_runs()
    {
        var pgBackRest = new PgBackRest(Settings, "127.0.0.1", ClusterCredentials.FromSecret("pw"));
        Assert.False(pgBackRest.HasTls);
        var e = await Assert.ThrowsAsync<PgBackRestException>(() =>
            pgBackRest.BackupAsync(BackupType.Full, new PrimaryEndpoint("h", 1, "/d", 2), null, CancellationToken.None));
        Assert.Contains("needs TLS", e.Message);
    }
}

/// <summary>Which name a standby's pgBackRest dials to reach the primary's server, since pgBackRest 2.45 matches no IP address.</summary>
[Trait("Category", "Unit")]
public sealed class PgBackRestServerDialNameTests
{
    private static readonly Dictionary<string, System.Net.IPAddress[]> Dns = new()
    {
        ["localhost"] = [System.Net.IPAddress.Loopback],
        ["db1.example.net"] = [System.Net.IPAddress.Parse("10.0.0.1")],
        ["db2.example.net"] = [System.Net.IPAddress.Parse("10.0.0.2")],
    };

    private static IReadOnlyList<System.Net.IPAddress> Resolve(string name) => Dns.GetValueOrDefault(name) ?? [];

    [Theory]
    [InlineData("10.0.0.1", "db2.example.net,db1.example.net,n1", "db1.example.net")]
    [InlineData("127.0.0.1", "localhost,n1", "localhost")]
    [InlineData("db9.example.net", "db9.example.net", "db9.example.net")]
    [InlineData("10.0.0.1", "*.example.net,10.0.0.1,n1", null)]
    [InlineData("10.0.0.3", "db1.example.net,n1", null)]
    public void A_node_addressed_by_ip_is_dialled_by_a_certificate_name_that_resolves_to_it(string address, string names, string? expected) =>
        Assert.Equal(expected, PgBackRestServer.DialName(address, names.Split(','), Resolve));
}
