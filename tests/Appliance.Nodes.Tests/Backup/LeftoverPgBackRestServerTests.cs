using System.Diagnostics;
using Appliance.Nodes.Backup;

namespace Appliance.Nodes.Tests.Backup;

[Trait("Category", "Unit")]
public class LeftoverPgBackRestServerTests
{
    private const string Config = "/var/lib/appliance/n1/pgbackrest/server.conf";

    [Theory]
    [InlineData(true, "/usr/bin/pgbackrest", "--config=" + Config, "--log-level-console=info", "server")]
    [InlineData(true, "pgbackrest", "--config=" + Config, "server")]
    [InlineData(false, "/usr/bin/pgbackrest", "--config=/var/lib/appliance/n2/pgbackrest/server.conf", "server")]
    [InlineData(false, "/usr/bin/pgbackrest", "--config=" + Config, "backup")]
    [InlineData(false, "/usr/bin/vim", "--config=" + Config, "server")]
    public void Only_a_pgbackrest_server_with_this_nodes_config_is_taken_for_its_leftover(bool expected, params string[] arguments) =>
        Assert.Equal(expected, LeftoverPgBackRestServer.IsServerOf(arguments, Config));

    [Fact]
    public async Task A_process_that_serves_with_the_config_is_found_and_stopped_and_others_are_left_alone()
    {
        // Stand-ins whose command lines read as a server's: sh runs sleep with the rest as its positional arguments.
        var dir = Directory.CreateTempSubdirectory("leftover-");
        var config = Path.Combine(dir.FullName, "server.conf");
        using var server = Process.Start("/bin/sh", ["-c", "sleep 30; :", "pgbackrest", $"--config={config}", "server"]);
        using var other = Process.Start("/bin/sh", ["-c", "sleep 30; :", "pgbackrest", $"--config={config}.other", "server"]);
        try
        {
            await Eventually.TrueAsync(() => Task.FromResult(LeftoverPgBackRestServer.ServersOf(config).Contains(server.Id)), "the stand-in runs", TimeSpan.FromSeconds(10));
            var stopped = await LeftoverPgBackRestServer.StopAsync(config, TimeSpan.FromSeconds(5), CancellationToken.None);
            Assert.Equal([server.Id], stopped);
            Assert.True(server.WaitForExit(5_000), "the leftover is still running");
            Assert.False(other.HasExited, "a server with another config was stopped too");
            Assert.Empty(await LeftoverPgBackRestServer.StopAsync(config, TimeSpan.FromSeconds(5), CancellationToken.None));
        }
        finally
        {
            foreach (var p in new[] { server, other }) if (!p.HasExited) p.Kill();
            dir.Delete(recursive: true);
        }
    }
}
