using Appliance.Host.Cli;
using Appliance.Host.Node;
using Appliance.Nodes.Backup;
using Appliance.Nodes.Postgres;

namespace Appliance.Host.Tests.Unit;

/// <summary><c>--backup-repo</c> and <c>--backup-option</c>: read from every source, checked with sentences that say what to do.</summary>
[Trait("Category", "Unit")]
public sealed class BackupOptionsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("appliance-backup-opts-").FullName;

    private static NodeOptions Build(Dictionary<string, string> extra) =>
        NodeOptionsLoader.Build([NodeOptionsLoaderTests.Minimal, extra], null, _ => "generated");

    private static string Refused(Dictionary<string, string> extra) =>
        Assert.Throws<NodeConfigurationException>(() => Build(extra)).Message;

    [Fact]
    public void A_repository_with_options_becomes_the_nodes_pgbackrest_settings()
    {
        var o = Build(new() { ["backup-repo"] = _dir, ["backup-option"] = "repo1-retention-full=2\ncompress-type = zst" });
        Assert.Equal(_dir, o.Backup!.Path);
        Assert.Equal([new BackupOption("repo1-retention-full", "2"), new BackupOption("compress-type", "zst")], o.Backup.Options);
        var settings = ApplianceNodeHosting.BackupSettings(o)!;
        Assert.Equal("appliance", settings.Stanza);
        Assert.Equal(Path.Combine("/tmp/x", "pgbackrest", "pgbackrest.conf"), settings.ConfigFile);
        Assert.Equal(settings, ApplianceNodeHosting.DriverSettings(o).Backup);
    }

    [Fact]
    public void The_pgbackrest_server_port_defaults_to_pgbackrests_and_is_checked()
    {
        Assert.Equal(8432, Build(new() { ["backup-repo"] = _dir }).Backup!.ServerPort);
        Assert.Equal(18432, Build(new() { ["backup-repo"] = _dir, ["backup-server-port"] = "18432" }).Backup!.ServerPort);
        Assert.Contains("--backup-server-port is 'x'", Refused(new() { ["backup-repo"] = _dir, ["backup-server-port"] = "x" }));
        Assert.Contains("--backup-server-port is '70000'", Refused(new() { ["backup-repo"] = _dir, ["backup-server-port"] = "70000" }));
        Assert.Contains("--backup-server-port needs --backup-repo", Refused(new() { ["backup-server-port"] = "8432" }));
    }

    [Fact]
    public void The_pgbackrest_server_may_not_share_a_port_with_the_node()
    {
        var o = Build(new() { ["backup-repo"] = _dir }) with
        {
            PgPort = TestCluster.FreePort(), HttpPort = TestCluster.FreePort(), AkkaPort = TestCluster.FreePort(),
            Tls = new Appliance.Host.Tls.TlsFiles("/c.crt", "/c.key", "/ca.crt"),
        };
        NodePorts.CheckPortsFree(o with { Backup = o.Backup! with { ServerPort = TestCluster.FreePort() } });
        var e = Assert.Throws<NodeConfigurationException>(() => NodePorts.CheckPortsFree(o with { Backup = o.Backup! with { ServerPort = o.HttpPort } }));
        Assert.Contains($"--backup-server-port {o.HttpPort} is also the node's", e.Message);
        // Without TLS no server runs, so its port does not matter.
        NodePorts.CheckPortsFree(o with { Tls = null, Backup = o.Backup! with { ServerPort = o.HttpPort } });
    }

    [Fact]
    public void Without_a_repository_there_is_no_archiving()
    {
        Assert.Null(Build([]).Backup);
        Assert.Null(ApplianceNodeHosting.DriverSettings(Build([])).Backup);
    }

    [Fact]
    public void A_missing_repository_directory_says_how_to_create_it()
    {
        var missing = Path.Combine(_dir, "nope");
        var message = Refused(new() { ["backup-repo"] = missing });
        Assert.Contains($"--backup-repo {missing} does not exist", message);
        Assert.Contains("mkdir -p", message);
    }

    [Fact]
    public void A_file_is_not_a_repository()
    {
        var file = Path.Combine(_dir, "file");
        File.WriteAllText(file, "");
        Assert.Contains("is a file", Refused(new() { ["backup-repo"] = file }));
    }

    [Fact]
    public void An_object_store_path_is_not_looked_for_on_disk()
    {
        var o = Build(new() { ["backup-repo"] = "/appliance", ["backup-option"] = "repo1-type=s3\nrepo1-s3-bucket=b" });
        Assert.Equal("/appliance", o.Backup!.Path);
    }

    [Theory]
    [InlineData("repo1-retention-full", "is not KEY=VALUE")]
    [InlineData("=2", "is not KEY=VALUE")]
    [InlineData("Repo1=2", "is not a pgBackRest option name")]
    [InlineData("pg1-path=/elsewhere", "pg1-path is set by the appliance itself")]
    [InlineData("repo1-path=/elsewhere", "repo1-path is set by the appliance itself")]
    [InlineData("repo1-retention-full=", "needs a value")]
    public void A_malformed_option_is_refused(string option, string expected)
    {
        var message = Refused(new() { ["backup-repo"] = _dir, ["backup-option"] = option });
        Assert.StartsWith("--backup-option: ", message);
        Assert.Contains(expected, message);
    }

    [Fact]
    public void An_option_given_twice_or_without_a_repository_is_refused()
    {
        Assert.Contains("given 2 times", Refused(new() { ["backup-repo"] = _dir, ["backup-option"] = "start-fast=y\nstart-fast=n" }));
        Assert.Contains("--backup-option needs --backup-repo", Refused(new() { ["backup-option"] = "start-fast=y" }));
    }

    [Fact]
    public void Retention_options_become_pgbackrest_retention()
    {
        var o = Build(new() { ["backup-repo"] = _dir, ["backup-retention-full"] = "4", ["backup-retention-diff"] = " 7 " });
        Assert.Equal([new BackupOption("repo1-retention-full", "4"), new BackupOption("repo1-retention-diff", "7")], o.Backup!.Options);
        var conf = PgBackRestConfig.Render(ApplianceNodeHosting.BackupSettings(o)!, "/tmp/x/pgdata", 5432).Split('\n');
        Assert.Contains("repo1-retention-full=4", conf);
        Assert.DoesNotContain("repo1-retention-full=2", conf);
    }

    [Fact]
    public void Without_a_retention_option_two_full_backups_are_kept()
    {
        var conf = PgBackRestConfig.Render(ApplianceNodeHosting.BackupSettings(Build(new() { ["backup-repo"] = _dir }))!, "/tmp/x/pgdata", 5432);
        Assert.Contains("\nrepo1-retention-full=2\n", conf);
        Assert.DoesNotContain("repo1-retention-diff", conf);
    }

    [Theory]
    [InlineData("backup-retention-full", "0")]
    [InlineData("backup-retention-full", "-1")]
    [InlineData("backup-retention-full", "two")]
    [InlineData("backup-retention-full", "1.5")]
    [InlineData("backup-retention-diff", "10000000")]
    public void A_bad_retention_count_is_refused_with_the_range(string key, string value)
    {
        var message = Refused(new() { ["backup-repo"] = _dir, [key] = value });
        Assert.Equal($"--{key} is '{value}'; it must be a whole number of backups to keep, from 1 to 9999999 (such as 2).", message);
    }

    [Fact]
    public void Retention_given_twice_or_without_a_repository_is_refused()
    {
        Assert.Contains("set the same thing; give --backup-retention-full alone",
            Refused(new() { ["backup-repo"] = _dir, ["backup-retention-full"] = "3", ["backup-option"] = "repo1-retention-full=3" }));
        Assert.Contains("--backup-retention-full needs --backup-repo", Refused(new() { ["backup-retention-full"] = "3" }));
        Assert.Contains("repo1-retention-full is 'x'", Refused(new() { ["backup-repo"] = _dir, ["backup-option"] = "repo1-retention-full=x" }));
    }

    [Fact]
    public void A_service_unit_takes_the_valueless_bootstrap_flag_and_the_short_target()
    {
        var flags = ServiceUnit.ParseFlags(["--name", "db1", "--bootstrap-from-backup", "--to", "2026-12-06T10:00:00Z", "--backup-repo", "/b"]);
        Assert.Equal([("name", "db1"), ("bootstrap-from-backup", "true"), ("bootstrap-to", "2026-12-06T10:00:00Z"), ("backup-repo", "/b")], flags);
        Assert.Equal(("bootstrap-from-backup", "true"), ServiceUnit.ParseFlags(["--name", "db1", "--bootstrap-from-backup"])[1]);
        Assert.Equal(("bootstrap-from-backup", "false"), ServiceUnit.ParseFlags(["--name", "db1", "--bootstrap-from-backup", "false"])[1]);
        var parse = CommandLine.Build().Parse(["node", "--bootstrap-from-backup", "true", "--to", "2026-12-06T10:00:00Z"]);
        Assert.Empty(parse.Errors);
    }

    [Fact]
    public void Placement_mode_is_refused_for_now()
    {
        var message = Refused(new() { ["backup-repo"] = _dir, ["pg-base-port"] = "6000", ["data-root"] = "/tmp/r" });
        Assert.Contains("not supported in placement mode", message);
    }

    [Fact]
    public void A_config_file_list_and_the_command_line_give_repeated_options()
    {
        var path = Path.Combine(_dir, "node.json");
        File.WriteAllText(path, $$"""{"backup-repo":"{{_dir}}","backup-option":["repo1-retention-full=2","compress-type=zst"]}""");
        var (values, _) = NodeOptionsLoader.FromFile(path);
        Assert.Equal(2, Build(values).Backup!.Options.Count);

        var parse = CommandLine.Build().Parse(["node", "--backup-option", "a-b=1", "--backup-option", "c-d=2"]);
        Assert.Empty(parse.Errors);
    }

    [Theory]
    [InlineData("2026-12-06T10:15:00Z", null, "--type=time", "--target=2026-12-06 10:15:00.000000+00")]
    [InlineData("2026-12-06T11:15:00.25+01:00", null, "--type=time", "--target=2026-12-06 10:15:00.250000+00")]
    [InlineData(null, "0/3000060", "--type=lsn", "--target=0/3000060")]
    public void A_restore_target_becomes_pgbackrest_arguments(string? to, string? lsn, string type, string target)
    {
        var arguments = RecoveryTargetFlags.Parse(to, lsn)!.Arguments;
        Assert.Equal([type, target, "--target-action=promote"], arguments);
    }

    [Theory]
    [InlineData("yesterday", null, "is not a timestamp")]
    [InlineData(null, "3000060", "is not a WAL position")]
    [InlineData("2026-12-06T10:15:00Z", "0/3000060", "not both")]
    public void A_malformed_restore_target_is_refused(string? to, string? lsn, string expected) =>
        Assert.Contains(expected, Assert.Throws<FormatException>(() => RecoveryTargetFlags.Parse(to, lsn)).Message);

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
