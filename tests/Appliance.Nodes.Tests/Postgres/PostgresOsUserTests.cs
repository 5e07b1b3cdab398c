using System.Diagnostics;
using Appliance.Nodes.Postgres;

namespace Appliance.Nodes.Tests.Postgres;

[Trait("Category", "Postgres")]
public sealed class PostgresOsUserTests
{
    /// <summary>
    /// Regression: the user lookup once read getpwnam's shared buffer from several threads, saw root's record
    /// half-way through another lookup, and handed data files to root, so the server could not read them.
    /// </summary>
    [Fact]
    public async Task Handing_trees_over_from_many_threads_at_once_gives_every_file_to_the_postgres_user()
    {
        await using var cluster = new TestCluster();
        var trees = Enumerable.Range(0, 8).Select(i => Path.Combine(cluster.Path_, $"tree{i}")).ToArray();
        foreach (var tree in trees)
        {
            Directory.CreateDirectory(Path.Combine(tree, "sub"));
            for (var f = 0; f < 150; f++) await File.WriteAllTextAsync(Path.Combine(tree, "sub", $"f{f}"), "x");
        }

        for (var round = 0; round < 5; round++)
            await Task.WhenAll(trees.Select(t => Task.Run(() => PostgresOsUser.GiveTreeToPostgres(t))));

        var expectedOwner = PostgresOsUser.DriverIsRoot ? PostgresOsUser.Name : Environment.UserName;
        var strays = FilesNotOwnedBy(cluster.Path_, expectedOwner);
        Assert.True(strays.Length == 0, $"{strays.Length} entries not owned by {expectedOwner}, e.g. {strays.FirstOrDefault()}");
    }

    private static string[] FilesNotOwnedBy(string root, string user)
    {
        var start = new ProcessStartInfo("/usr/bin/find") { RedirectStandardOutput = true };
        foreach (var a in new[] { root, "-mindepth", "1", "!", "-user", user }) start.ArgumentList.Add(a);
        using var find = Process.Start(start)!;
        var output = find.StandardOutput.ReadToEnd();
        find.WaitForExit();
        Assert.Equal(0, find.ExitCode);
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }
}
