
namespace Appliance.Host.Tests.Processes;

/// <summary><c>appliance install-service</c> writes the systemd unit README recommends, with the node's flags, and keeps an existing one without <c>--force</c>.</summary>
[Trait("Category", "Unit")]
public sealed class InstallServiceTests : IDisposable
{
    private readonly string _dir = ScratchDirectory.Create("host-");

    /// <summary>README's first machine ("Deploying three machines").</summary>
    private static readonly string[] ReadmeNode =
    [
        "--name", "db1", "--host", "10.0.0.1", "--akka-port", "4053", "--http-port", "8008", "--pg-port", "5432",
        "--data-dir", "/var/lib/appliance", "--seed-nodes", "10.0.0.1:4053,10.0.0.2:4053,10.0.0.3:4053",
        "--state-store-file", "/etc/appliance/state-store", "--pg-password-file", "/etc/appliance/pg-password",
        "--api-token-file", "/etc/appliance/api-token", "--client-networks", "10.0.1.0/24",
        "--tls-cert", "/etc/appliance/tls/db1.crt", "--tls-key", "/etc/appliance/tls/db1.key", "--tls-ca", "/etc/appliance/tls/ca.crt",
    ];

    [Fact]
    public async Task It_writes_the_shipped_unit_for_readmes_first_machine_and_overwrites_only_with_force()
    {
        var unit = Path.Combine(_dir, "appliance.service");
        var (code, output, err) = await AppProcess.RunAsync(["install-service", "--output", unit, "--binary", "/opt/appliance/appliance", .. ReadmeNode]);
        Assert.True(code == 0, err);
        Assert.Contains($"wrote {unit}", output);
        var text = File.ReadAllText(unit);
        // packaging/appliance.service is exactly this output: the shipped file and the verb cannot drift apart.
        Assert.Equal(File.ReadAllText(Path.Combine(Repository.Root(), "packaging", "appliance.service")), text);

        var lines = text.Split('\n');
        foreach (var setting in new[] { "Type=notify", "KillSignal=SIGTERM", "TimeoutStopSec=90", "Restart=on-failure", "RestartSec=10s" })
            Assert.Contains(setting, lines);
        var exec = Assert.Single(lines, l => l.StartsWith("ExecStart=", StringComparison.Ordinal));
        Assert.StartsWith("ExecStart=/opt/appliance/appliance node --name db1 --host 10.0.0.1 ", exec);
        Assert.Contains("--seed-nodes 10.0.0.1:4053,10.0.0.2:4053,10.0.0.3:4053", exec);
        // Secret files go through systemd's credentials, which the node reads from $CREDENTIALS_DIRECTORY.
        Assert.DoesNotContain("-file", exec);
        Assert.Contains("LoadCredential=pg-password:/etc/appliance/pg-password", lines);
        Assert.Contains("LoadCredential=state-store:/etc/appliance/state-store", lines);
        Assert.Contains("LoadCredential=api-token:/etc/appliance/api-token", lines);

        // An existing unit is kept without --force.
        (code, _, err) = await AppProcess.RunAsync(["install-service", "--output", unit, "--name", "db2", "--data-dir", "/srv/a b"]);
        Assert.Equal(2, code);
        Assert.Contains("--force", err);
        Assert.Equal(text, File.ReadAllText(unit));

        (code, _, err) = await AppProcess.RunAsync(["install-service", "--output", unit, "--force", "--user", "appliance", "--binary", "/usr/bin/appliance",
            "--name", "db2", "--data-dir", "/srv/a b"]);
        Assert.True(code == 0, err);
        var replaced = File.ReadAllLines(unit);
        Assert.Contains("ExecStart=/usr/bin/appliance node --name db2 --data-dir \"/srv/a b\"", replaced);
        Assert.Contains("User=appliance", replaced);
    }

    [Fact]
    public async Task Secrets_on_the_command_line_and_unknown_flags_are_refused()
    {
        var unit = Path.Combine(_dir, "appliance.service");
        var (code, _, err) = await AppProcess.RunAsync(["install-service", "--output", unit, "--name", "db1", "--pg-password", "secret"]);
        Assert.Equal(2, code);
        Assert.Contains("--pg-password-file", err);
        (code, _, err) = await AppProcess.RunAsync(["install-service", "--output", unit, "--name", "db1", "--state-store", "postgres:Host=h;Password=pw"]);
        Assert.Equal(2, code);
        Assert.Contains("--state-store-file", err);
        (code, _, err) = await AppProcess.RunAsync(["install-service", "--output", unit, "--name", "db1", "--colour", "blue"]);
        Assert.Equal(2, code);
        Assert.Contains("--colour is not a flag", err);
        Assert.False(File.Exists(unit));
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
