namespace Appliance.Host.Tests.Processes;

/// <summary>Backups asked of a cluster whose nodes have no repository (the fixture's nodes have no --backup-repo).</summary>
public sealed partial class NodeApiAndCliTests
{
    [Fact]
    public async Task B6_backup_verbs_on_a_cluster_without_a_repository_say_which_flag_is_missing()
    {
        var e = cluster.Nodes[0].Url;
        var (code, output, error) = await NodeClusterFixture.CliAsync("backup", "--endpoint", e);
        Assert.True(code == 1, $"exit {code}: {output}{error}");
        Assert.Contains("refused (412): Node n1 has no backup repository: start every node with --backup-repo PATH.", error);

        (code, output, error) = await NodeClusterFixture.CliAsync("backups", "--endpoint", e);
        Assert.True(code == 2, $"exit {code}: {output}{error}");
        Assert.Contains("has no backup repository", error);

        var (status, body) = await Post(e + "/backup", """{"type":"weekly"}""");
        Assert.Equal(412, status);
        Assert.Contains("has no backup repository", body);
    }
}
