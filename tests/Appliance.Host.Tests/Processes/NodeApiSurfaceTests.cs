using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Appliance.Host.Api;
using Appliance.Host.Api.Json;

namespace Appliance.Host.Tests.Processes;

/// <summary>History pages and <c>appliance dsn</c> (issue 15, part 6), against the shared three-node cluster.</summary>
public sealed partial class NodeApiAndCliTests
{
    [Fact]
    public async Task B3_history_pages_by_since_and_limit_over_http_and_the_cli()
    {
        var node = cluster.Nodes[1];
        // Paging needs a few entries. Run alone, the fresh cluster may have written only its first state, so a freeze
        // and an unfreeze (two entries, no PostgreSQL work, and the cluster as it was) make sure of three.
        var (code, output, err) = await NodeClusterFixture.CliAsync("freeze", "--endpoint", node.Url, "--reason", "history paging test");
        Assert.True(code == 0, output + err);
        (code, output, err) = await NodeClusterFixture.CliAsync("unfreeze", "--endpoint", node.Url);
        Assert.True(code == 0, output + err);
        var all = (await cluster.Http.GetFromJsonAsync<List<HistoryEntryDto>>(node.Url + "/history", ApiJson.Options))!;
        Assert.True(all.Count >= 3, $"the history has {all.Count} entries");
        Assert.Equal(all.Select(e => e.Version).Order(), all.Select(e => e.Version));

        // Page by page with limit=1, each page starting after the last version of the one before, gives them all.
        var paged = new List<HistoryEntryDto>();
        long since = 0;
        while (true)
        {
            var page = (await cluster.Http.GetFromJsonAsync<List<HistoryEntryDto>>($"{node.Url}/history?since={since}&limit=1", ApiJson.Options))!;
            Assert.True(page.Count <= 1);
            if (page.Count == 0) break;
            paged.AddRange(page);
            since = page[^1].Version;
        }
        Assert.Equal(all.Take(paged.Count).Select(e => e.Version), paged.Select(e => e.Version));
        Assert.True(paged.Count >= all.Count);

        var after = (await cluster.Http.GetFromJsonAsync<List<HistoryEntryDto>>($"{node.Url}/history?since={all[0].Version}", ApiJson.Options))!;
        Assert.DoesNotContain(after, e => e.Version <= all[0].Version);
        Assert.Equal(all[1].Version, after[0].Version);

        using (var bad = await cluster.Http.GetAsync(node.Url + "/history?limit=0"))
            Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        using (var bad = await cluster.Http.GetAsync(node.Url + "/history?since=yesterday"))
            Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);

        (code, output, _) = await NodeClusterFixture.CliAsync("history", "--endpoint", node.Url, "--since", $"{all[0].Version}", "--limit", "1", "--json");
        Assert.Equal(0, code);
        Assert.Equal([all[1].Version], JsonSerializer.Deserialize<List<HistoryEntryDto>>(output, ApiJson.Options)!.Select(e => e.Version));
    }

    [Fact]
    public async Task B4_dsn_prints_a_multi_host_connection_string_that_reaches_the_role_asked_for()
    {
        var e = cluster.Nodes[2].Url;
        var (code, primaryDsn, err) = await NodeClusterFixture.CliAsync("dsn", "--endpoint", e);
        Assert.True(code == 0, err);
        primaryDsn = primaryDsn.Trim();
        Assert.Contains("target_session_attrs=read-write", primaryDsn);
        foreach (var n in cluster.Nodes) Assert.Contains(n.PgPort.ToString(CultureInfo.InvariantCulture), primaryDsn);
        Assert.DoesNotContain("password", primaryDsn, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(NodeClusterFixture.Password, primaryDsn);
        Assert.DoesNotContain("sslmode", primaryDsn);
        Assert.Equal("f", await PsqlAsync(primaryDsn, "SELECT pg_is_in_recovery()"));

        (code, var replicaDsn, err) = await NodeClusterFixture.CliAsync("dsn", "--endpoint", e, "--role", "replica");
        Assert.True(code == 0, err);
        Assert.Contains("target_session_attrs=prefer-standby", replicaDsn);
        Assert.Equal("t", await PsqlAsync(replicaDsn.Trim(), "SELECT pg_is_in_recovery()"));

        var caDir = Path.Combine(cluster.Dir, "dsn-ca");
        using (var ca = Tls.CertificateAuthority.Create("dsn test CA")) ca.WriteNodeFiles(caDir, []);
        var caFile = Path.Combine(caDir, Tls.CertificateAuthority.CaFileName);
        (code, var anyDsn, err) = await NodeClusterFixture.CliAsync("dsn", "--endpoint", e, "--role", "any", "--ca", caFile);
        Assert.True(code == 0, err);
        Assert.Contains("target_session_attrs=any", anyDsn);
        Assert.Contains($"sslmode=verify-ca sslrootcert={caFile}", anyDsn);

        (code, _, err) = await NodeClusterFixture.CliAsync("dsn", "--endpoint", e, "--role", "leader");
        Assert.Equal(2, code);
        Assert.Contains("primary, replica, any", err);
    }

    [Fact]
    public async Task B5_postgresql_log_rotates_at_its_size_limit_and_goes_on_in_a_new_file()
    {
        var node = cluster.Nodes[0];
        var dsn = $"host=127.0.0.1 port={node.PgPort} user=postgres dbname=postgres";
        var log = Path.Combine(node.DataDir, "postgresql.log");
        var marker = Guid.NewGuid().ToString("N");
        // 100 lines of 1 kB through the server's own log, past the fixture's 64 kB limit.
        await PsqlAsync(dsn, $"DO $$ BEGIN FOR i IN 1..100 LOOP RAISE LOG '{marker} % {new string('x', 1000)}', i; END LOOP; END $$");
        await Eventually.TrueAsync(() => Task.FromResult(File.Exists(log + ".1") && Read(log).Contains($"{marker} 100 ")),
            () => $"{log} rotated and holds the last line", TimeSpan.FromSeconds(30));
        Assert.True(new FileInfo(log).Length <= 64 * 1024, $"{log} is {new FileInfo(log).Length} bytes");
        Assert.Contains(marker, Read(log + ".1"));

        // The node goes on appending the server's output to the new file.
        await PsqlAsync(dsn, $"DO $$ BEGIN RAISE LOG 'after rotation {marker}'; END $$");
        await Eventually.TrueAsync(() => Task.FromResult(Read(log).Contains($"after rotation {marker}")),
            () => $"{log} has the line written after the rotation", TimeSpan.FromSeconds(30));

        static string Read(string path)
        {
            using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            return new StreamReader(fs).ReadToEnd();
        }
    }

    private static async Task<string> PsqlAsync(string dsn, string sql)
    {
        var psi = new ProcessStartInfo(Path.Combine((await TestCluster.Binaries()).BinDirectory, "psql")) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "-XtAc", sql, dsn }) psi.ArgumentList.Add(a);
        psi.Environment["PGPASSWORD"] = NodeClusterFixture.Password;
        psi.Environment["PGCONNECT_TIMEOUT"] = "5";
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        Assert.True(p.ExitCode == 0, $"psql \"{dsn}\": {await stderr}");
        return (await stdout).Trim();
    }
}
