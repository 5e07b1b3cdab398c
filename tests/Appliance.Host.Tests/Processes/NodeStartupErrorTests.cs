using System.Net;
using System.Net.Sockets;
using Appliance.Nodes.Tests.Postgres;

namespace Appliance.Host.Tests.Processes;

/// <summary>The <c>node</c> verb refuses to start, with a message naming the problem and the fix, before it touches PostgreSQL.</summary>
[Trait("Category", "Unit")]
public sealed class NodeStartupErrorTests : IDisposable
{
    private readonly string _dir = Scratch.Create();

    private string[] Args(params string[] extra) => ArgsWithHttpPort(TestCluster.FreePort(), extra);

    private string[] ArgsWithHttpPort(int httpPort, params string[] extra) =>
    [
        "node", "--name", "n1", "--akka-port", $"{TestCluster.FreePort()}", "--http-port", $"{httpPort}",
        "--pg-port", $"{TestCluster.FreePort()}", "--data-dir", Path.Combine(_dir, "n1"), "--seed-nodes", "127.0.0.1:1",
        "--state-store", $"sqlite:{Path.Combine(_dir, "state.db")}", "--pg-password", "pw", .. extra,
    ];

    private static async Task<string> FailsAsync(string[] args)
    {
        var (code, _, err) = await AppProcess.RunAsync(args);
        Assert.True(code == 2, $"exit {code}: {err}");
        return err;
    }

    [Fact]
    public async Task A_missing_option_is_named_with_its_flag_and_variable()
    {
        var err = await FailsAsync(["node", "--name", "n1"]);
        Assert.Contains("--data-dir is required", err);
        Assert.Contains("APPLIANCE_DATA_DIR", err);
    }

    [Fact]
    public async Task A_wrong_binary_directory_says_what_to_install()
    {
        var err = await FailsAsync(Args("--bin-dir", "/nonexistent/bin"));
        Assert.Contains("/nonexistent/bin lacks postgres", err);
        Assert.Contains("postgresql-15", err);
    }

    [Fact]
    public async Task A_port_in_use_is_named()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var err = await FailsAsync(ArgsWithHttpPort(port));
        Assert.Contains($"--http-port {port}: port {port} on 127.0.0.1 is already in use", err);
    }

    [Fact]
    public async Task A_malformed_config_file_is_named()
    {
        var path = Path.Combine(_dir, "node.json");
        await File.WriteAllTextAsync(path, "{\"name\": \"n1\", ");
        var err = await FailsAsync(["node", "--config", path]);
        Assert.Contains($"Config file {path} is not valid JSON", err);
    }

    [Fact]
    public async Task A_token_file_others_may_read_is_refused_with_its_mode_and_the_fix()
    {
        if (!OperatingSystem.IsLinux()) throw new PlatformNotSupportedException("These tests run on Linux.");
        var path = Path.Combine(_dir, "api-token");
        await File.WriteAllTextAsync(path, "secret\n");
        File.SetUnixFileMode(path, (UnixFileMode)0b110_100_100);
        var err = await FailsAsync(Args("--api-token-file", path));
        Assert.Contains($"--api-token-file {path} has mode 0644", err);
        Assert.Contains($"chmod 600 {path}", err);
    }

    [Fact]
    public async Task A_password_file_others_may_read_is_refused_before_anything_starts()
    {
        if (!OperatingSystem.IsLinux()) throw new PlatformNotSupportedException("These tests run on Linux.");
        var path = Path.Combine(_dir, "pg-password");
        await File.WriteAllTextAsync(path, "secret\n");
        File.SetUnixFileMode(path, (UnixFileMode)0b110_100_000);
        var args = Args("--pg-password-file", path).ToList();
        args.RemoveRange(args.IndexOf("--pg-password"), 2);
        var err = await FailsAsync([.. args]);
        Assert.Contains($"--pg-password-file {path} has mode 0640", err);
        Assert.Contains($"chmod 600 {path}", err);
    }

    [Fact]
    public async Task A_missing_read_token_file_named_in_the_environment_is_refused()
    {
        var (code, _, err) = await AppProcess.RunAsync(
            new Dictionary<string, string> { ["APPLIANCE_API_READ_TOKEN_FILE"] = "/nonexistent/read-token" }, Args());
        Assert.True(code == 2, $"exit {code}: {err}");
        Assert.Contains("--api-read-token-file /nonexistent/read-token does not exist", err);
    }

    [Fact]
    public async Task Environment_variables_and_a_config_file_supply_options()
    {
        var path = Path.Combine(_dir, "node.conf");
        await File.WriteAllTextAsync(path, $"name = n1\nakka-port = {TestCluster.FreePort()}\ndata-dir = \"{Path.Combine(_dir, "n1")}\"\nseed-nodes = [\"127.0.0.1:1\"]\nstate-store = \"sqlite:/tmp/x.db\"\n");
        // The config lacks pg-port; APPLIANCE_PG_PORT gives a bad one, so the error shows the variable was read.
        await using var p = AppProcess.Start(["node", "--config", path], new Dictionary<string, string> { ["APPLIANCE_PG_PORT"] = "99999" });
        Assert.Equal(2, await p.WaitAsync(TimeSpan.FromSeconds(60)));
        Assert.Contains("--pg-port is '99999'", p.Stderr);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
