using Appliance.Host.Node;
using Appliance.Nodes.State;

namespace Appliance.Host.Tests.Unit;

/// <summary><c>--standby-of</c> and <c>--standby-from-repo</c>: a standby cluster's source, read and checked before anything starts.</summary>
[Trait("Category", "Unit")]
public sealed class StandbyOfOptionTests
{
    private static NodeOptions Build(Dictionary<string, string> extra) =>
        NodeOptionsLoader.Build([NodeOptionsLoaderTests.Minimal, extra], null, _ => "generated");

    [Fact]
    public void Absent_means_a_normal_cluster()
    {
        Assert.Null(Build([]).StandbyOf);
        Assert.Null(Build(new() { ["standby-of"] = " " }).StandbyOf);
    }

    [Fact]
    public void Hosts_are_read_in_order_with_their_ports()
    {
        var o = Build(new() { ["standby-of"] = "10.0.0.5:5432, db-b:6543,[fd00::7]:5433" });
        Assert.Equal([new SourceHost("10.0.0.5", 5432), new SourceHost("db-b", 6543), new SourceHost("fd00::7", 5433)], o.StandbyOf!.Hosts.ToArray());
        Assert.Equal("10.0.0.5:5432,db-b:6543,[fd00::7]:5433", o.StandbyOf.ToString());
        Assert.Equal(o.StandbyOf, StandbySource.Parse(o.StandbyOf.ToString()));
    }

    [Theory]
    [InlineData("10.0.0.5", "'10.0.0.5' is not HOST:PORT")]
    [InlineData("10.0.0.5:", "'10.0.0.5:' is not HOST:PORT")]
    [InlineData(":5432", "':5432' is not HOST:PORT")]
    [InlineData("10.0.0.5:0", "port '0'")]
    [InlineData("10.0.0.5:70000", "port '70000'")]
    [InlineData("10.0.0.5:54x", "port '54x'")]
    [InlineData("fd00::7:5432", "brackets")]
    [InlineData("a:1,,b:2", "'' is not HOST:PORT")]
    [InlineData("a:1,a:1", "'a:1' is given twice")]
    [InlineData("db1:5432,DB1:5432", "'DB1:5432' is given twice")]
    [InlineData("a b:1", "no usable host")]
    public void A_malformed_source_is_refused_naming_the_entry(string text, string expected)
    {
        var e = Assert.Throws<NodeConfigurationException>(() => Build(new() { ["standby-of"] = text }));
        Assert.StartsWith("--standby-of: ", e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void Singleton_mode_is_refused()
    {
        var e = Assert.Throws<NodeConfigurationException>(() => Build(new() { ["standby-of"] = "a:1", ["mode"] = "singleton" }));
        Assert.Contains("singleton", e.Message);
    }

    [Fact]
    public void A_backup_repository_is_refused_on_a_standby_cluster()
    {
        var e = Assert.Throws<NodeConfigurationException>(() => Build(new() { ["standby-of"] = "a:1", ["backup-repo"] = "/backups/dr" }));
        Assert.Contains("--standby-of: a standby cluster takes no backups yet", e.Message);
    }

    [Fact]
    public void A_repository_source_is_the_source_clusters_archive_under_the_clusters_stanza()
    {
        var repo = Directory.CreateTempSubdirectory("appliance-standby-repo-").FullName;
        try
        {
            // A trailing slash given on one node and not on another names the same repository.
            var source = Build(new() { ["standby-from-repo"] = repo + "/" }).StandbyOf!;
            Assert.Equal(source, Build(new() { ["standby-from-repo"] = repo }).StandbyOf);
            Assert.Empty(source.Hosts);
            Assert.Equal(new SourceRepository(Path.GetFullPath(repo), "appliance"), source.Repository);
            Assert.Equal($"appliance@{Path.GetFullPath(repo)}", source.ToString());
            Assert.Equal($"--standby-from-repo {Path.GetFullPath(repo)}", source.Flag);
            // The text form the state stores reads back as the same source, and a host list is never taken for it.
            Assert.Equal(source, StandbySource.Parse(source.ToString()));
            Assert.True(StandbySource.Same(source, StandbySource.Parse(source.ToString())));
            Assert.False(StandbySource.Same(source, StandbySource.Parse("appliance:5432")));
            Assert.False(StandbySource.Same(source, StandbySource.FromRepository(repo + "-other", "appliance")));
            Assert.False(StandbySource.Same(source, StandbySource.FromRepository(Path.GetFullPath(repo), "other")));

            var both = Assert.Throws<NodeConfigurationException>(() => Build(new() { ["standby-from-repo"] = repo, ["standby-of"] = "a:1" }));
            Assert.Contains("--standby-of and --standby-from-repo both name a source; give one", both.Message);
            var singleton = Assert.Throws<NodeConfigurationException>(() => Build(new() { ["standby-from-repo"] = repo, ["mode"] = "singleton" }));
            Assert.StartsWith("--standby-from-repo: a standby cluster does not run in singleton mode", singleton.Message);
            var backups = Assert.Throws<NodeConfigurationException>(() => Build(new() { ["standby-from-repo"] = repo, ["backup-repo"] = repo }));
            Assert.StartsWith("--standby-from-repo: a standby cluster takes no backups yet", backups.Message);
        }
        finally
        {
            Directory.Delete(repo, recursive: true);
        }
    }

    [Fact]
    public void A_repository_source_that_is_missing_or_a_file_is_refused_before_anything_starts()
    {
        var missing = Path.Combine(Path.GetTempPath(), "appliance-no-such-repo-" + Guid.NewGuid().ToString("N"));
        var e = Assert.Throws<NodeConfigurationException>(() => Build(new() { ["standby-from-repo"] = missing }));
        Assert.Equal($"--standby-from-repo {missing} does not exist; mount the source cluster's pgBackRest repository (its --backup-repo) there, readable by the postgres OS user.", e.Message);
        var file = Path.GetTempFileName();
        try
        {
            e = Assert.Throws<NodeConfigurationException>(() => Build(new() { ["standby-from-repo"] = file }));
            Assert.StartsWith($"--standby-from-repo {file} is a file", e.Message);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void An_object_store_source_takes_its_options_into_the_leaders_pgbackrest_config_and_is_not_looked_for_on_disk()
    {
        var options = Build(new()
        {
            ["standby-from-repo"] = "/appliance/site-a",
            ["standby-repo-option"] = "repo1-type=s3\nrepo1-s3-bucket=acme-backups\nrepo1-s3-key-secret=shh",
        });
        Assert.Equal("appliance@/appliance/site-a", options.StandbyOf!.ToString());
        Assert.Equal(["repo1-type", "repo1-s3-bucket", "repo1-s3-key-secret"], options.StandbyRepoOptions.Select(o => o.Key));
        var driver = ApplianceNodeHosting.DriverSettings(options);
        var config = Appliance.Nodes.Postgres.PgBackRestConfig.Render(
            Appliance.Nodes.Postgres.SourceArchive.Settings(driver, options.StandbyOf.Repository!), driver.DataDirectory, driver.Self.Port);
        Assert.Contains("repo1-path=/appliance/site-a", config);
        Assert.Contains("repo1-type=s3", config);
        Assert.Contains("repo1-s3-bucket=acme-backups", config);
        // A normal cluster's own pgBackRest config does not get them: they describe the source's repository only.
        Assert.Null(driver.Backup);
    }

    [Theory]
    [InlineData("repo1-type=s3", null, "--standby-repo-option needs --standby-from-repo")]
    [InlineData("repo1-path=/elsewhere", "/appliance/site-a", "--standby-repo-option: repo1-path is set by the appliance itself")]
    [InlineData("no-equals", "/appliance/site-a", "--standby-repo-option: 'no-equals' is not KEY=VALUE")]
    [InlineData("repo1-type=s3\nrepo1-type=gcs", "/appliance/site-a", "--standby-repo-option: repo1-type is given 2 times")]
    public void A_bad_standby_repo_option_is_refused_before_anything_starts(string option, string? repo, string expected)
    {
        var values = new Dictionary<string, string> { ["standby-repo-option"] = option };
        if (repo is not null) values["standby-from-repo"] = repo;
        var e = Assert.Throws<NodeConfigurationException>(() => Build(values));
        Assert.StartsWith(expected, e.Message);
    }

    [Theory]
    [InlineData("appliance@relative/repo", "is not an absolute path")]
    [InlineData("-bad@/repo", "is not a pgBackRest stanza name")]
    [InlineData("db@host:5432", "no usable host")]
    public void A_malformed_archive_source_in_text_is_refused(string text, string expected)
    {
        var e = Assert.Throws<FormatException>(() => StandbySource.Parse(text));
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void Standby_networks_are_cidrs_and_a_bare_or_malformed_one_is_refused()
    {
        Assert.Empty(Build([]).StandbyNetworks);
        Assert.Equal(["10.1.0.0/24", "fd00::/64"], Build(new() { ["standby-networks"] = "10.1.0.0/24, fd00::/64" }).StandbyNetworks);
        foreach (var bad in new[] { "10.1.0.7", "10.1.0.0/33", "dr-site/24" })
        {
            var e = Assert.Throws<NodeConfigurationException>(() => Build(new() { ["standby-networks"] = bad }));
            Assert.Contains($"--standby-networks: '{bad}' is not a CIDR network", e.Message);
        }
    }
}
