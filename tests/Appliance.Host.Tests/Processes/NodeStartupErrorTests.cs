using System.Net;
using System.Net.Sockets;
using Appliance.Host.Tls;

namespace Appliance.Host.Tests.Processes;

/// <summary>The <c>node</c> verb refuses to start, with a message naming the problem and the fix, before it touches PostgreSQL.</summary>
[Trait("Category", "Unit")]
public sealed class NodeStartupErrorTests : IDisposable
{
    private readonly string _dir = ScratchDirectory.Create("host-");

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
    public async Task Bootstrapping_from_a_repository_without_a_backup_is_refused_and_nothing_is_created()
    {
        var repo = Directory.CreateDirectory(Path.Combine(_dir, "empty-repo")).FullName;
        var err = await FailsAsync(Args("--backup-repo", repo, "--bootstrap-from-backup"));
        Assert.Contains($"--bootstrap-from-backup: ", err);
        Assert.Contains("nothing was changed", err);
        Assert.False(Directory.Exists(Path.Combine(_dir, "n1", "pgdata")) && Directory.EnumerateFileSystemEntries(Path.Combine(_dir, "n1", "pgdata")).Any(),
            "the data directory stays empty");
        Assert.Contains("--bootstrap-to needs --bootstrap-from-backup", await FailsAsync(Args("--backup-repo", repo, "--to", "2026-12-06T10:00:00Z")));
        Assert.Contains("--bootstrap-to 'yesterday' is not a timestamp",
            await FailsAsync(Args("--backup-repo", repo, "--bootstrap-from-backup", "--bootstrap-to", "yesterday")));
        Assert.Contains("--bootstrap-from-backup needs --backup-repo", await FailsAsync(Args("--bootstrap-from-backup")));
    }

    [Fact]
    public async Task A_wrong_binary_directory_says_what_to_install()
    {
        var err = await FailsAsync(Args("--bin-dir", "/nonexistent/bin"));
        Assert.Contains("/nonexistent/bin lacks postgres", err);
        Assert.Contains("postgresql-15", err);
    }

    [Fact]
    public async Task A_missing_backup_repository_is_named_with_the_fix()
    {
        var err = await FailsAsync(Args("--backup-repo", Path.Combine(_dir, "no-repo")));
        Assert.Contains($"--backup-repo {Path.Combine(_dir, "no-repo")} does not exist", err);
        Assert.Contains("mkdir -p", err);
        err = await FailsAsync(Args("--backup-repo", _dir, "--backup-option", "pg1-path=/x"));
        Assert.Contains("--backup-option: pg1-path is set by the appliance itself", err);
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

    /// <summary>Certificates for n1 and n2 from one CA, and for x1 from another, in this test's directory.</summary>
    private (TlsFiles N1, TlsFiles N2, TlsFiles Foreign) Certificates()
    {
        using var ca = CertificateAuthority.Create("test CA");
        var ours = ca.WriteNodeFiles(Path.Combine(_dir, "tls"), ["n1", "n2"]);
        using var other = CertificateAuthority.Create("other CA");
        return (ours[0], ours[1], other.WriteNodeFiles(Path.Combine(_dir, "other"), ["x1"])[0]);
    }

    private static string[] TlsFlags(string cert, string key, string ca) => ["--tls-cert", cert, "--tls-key", key, "--tls-ca", ca];

    [Fact]
    public async Task A_partial_tls_set_names_what_is_missing()
    {
        var (n1, _, _) = Certificates();
        var err = await FailsAsync(Args("--tls-cert", n1.CertFile, "--tls-key", n1.KeyFile));
        Assert.Contains("--tls-cert, --tls-key and --tls-ca go together, and --tls-ca is missing", err);
        var (code, _, err2) = await AppProcess.RunAsync(new Dictionary<string, string> { ["APPLIANCE_TLS_CA"] = n1.CaFile }, Args());
        Assert.True(code == 2, err2);
        Assert.Contains("--tls-cert, --tls-key is missing", err2);
    }

    [Fact]
    public async Task A_missing_tls_file_is_named()
    {
        var (n1, _, _) = Certificates();
        var err = await FailsAsync(Args(TlsFlags(n1.CertFile, "/nonexistent/n1.key", n1.CaFile)));
        Assert.Contains("--tls-key /nonexistent/n1.key does not exist", err);
    }

    [Fact]
    public async Task A_key_others_may_read_is_refused_with_the_fix()
    {
        if (!OperatingSystem.IsLinux()) throw new PlatformNotSupportedException("These tests run on Linux.");
        var (n1, _, _) = Certificates();
        File.SetUnixFileMode(n1.KeyFile, (UnixFileMode)0b110_100_000);
        var err = await FailsAsync(Args(TlsFlags(n1.CertFile, n1.KeyFile, n1.CaFile)));
        Assert.Contains($"--tls-key {n1.KeyFile} has mode 0640", err);
        Assert.Contains($"chmod 600 {n1.KeyFile}", err);
    }

    [Fact]
    public async Task A_key_that_is_not_the_certificates_is_refused()
    {
        var (n1, n2, _) = Certificates();
        var err = await FailsAsync(Args(TlsFlags(n1.CertFile, n2.KeyFile, n1.CaFile)));
        Assert.Contains($"--tls-cert {n1.CertFile} with --tls-key {n2.KeyFile} cannot be used", err);
        Assert.Contains("the key must be the certificate's own", err);
    }

    [Fact]
    public async Task A_certificate_the_ca_did_not_sign_is_refused()
    {
        var (n1, _, foreign) = Certificates();
        var err = await FailsAsync(Args(TlsFlags(foreign.CertFile, foreign.KeyFile, n1.CaFile)));
        Assert.Contains($"--tls-cert {foreign.CertFile} does not chain to --tls-ca {n1.CaFile}", err);
        Assert.Contains("issued by 'CN=other CA'", err);
    }

    public void Dispose() => ScratchDirectory.Delete(_dir);
}
