using System.Diagnostics;
using Appliance.Nodes.Postgres;

namespace Appliance.Nodes.Tests.Postgres;

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
        // The node: every stand-in above started before it, as a killed run's server did. Start times count in clock
        // ticks, so it must start in a later tick than the stand-ins.
        var node = await StartedAfterAsync(server);
        // A client session its own server forked: the server's command line, started after the node.
        using var session = Process.Start("/bin/sh", ["-c", "sleep 30; :", "pgbackrest", $"--config={config}", "server"]);
        try
        {
            await Eventually.TrueAsync(() => Task.FromResult(LeftoverPgBackRestServer.ServersOf(config).Contains(server.Id)
                && LeftoverPgBackRestServer.ServersOf(config).Contains(session.Id)), "the stand-ins run", TimeSpan.FromSeconds(10));
            var stopped = await LeftoverPgBackRestServer.StopAsync(config, TimeSpan.FromSeconds(5), CancellationToken.None, node.Id);
            Assert.Equal([server.Id], stopped);
            Assert.True(server.WaitForExit(5_000), "the leftover is still running");
            Assert.False(other.HasExited, "a server with another config was stopped too");
            Assert.False(session.HasExited, "a session started after the node was stopped as if it were left behind");
            Assert.Empty(await LeftoverPgBackRestServer.StopAsync(config, TimeSpan.FromSeconds(5), CancellationToken.None, node.Id));
            // This test process started before every stand-in: none is left behind from its point of view.
            Assert.Empty(await LeftoverPgBackRestServer.StopAsync(config, TimeSpan.FromSeconds(5), CancellationToken.None));
        }
        finally
        {
            foreach (var p in new[] { server, other, session, node }) if (!p.HasExited) p.Kill();
            node.Dispose();
            dir.Delete(recursive: true);
        }
    }

    /// <summary>A process (sleep) whose start time, in clock ticks, is later than <paramref name="earlier"/>'s.</summary>
    private static async Task<Process> StartedAfterAsync(Process earlier)
    {
        var bound = Appliance.Nodes.Postgres.ProcStat.StartTicks(earlier.Id);
        for (var attempt = 0; attempt < 100; attempt++)
        {
            var p = Process.Start("sleep", "30");
            if (Appliance.Nodes.Postgres.ProcStat.StartTicks(p.Id) > bound) return p;
            p.Kill();
            p.Dispose();
            await Task.Yield();
        }
        throw new InvalidOperationException($"no process started in a later clock tick than {earlier.Id}");
    }
}
