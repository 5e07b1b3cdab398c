using Appliance.Nodes.Postgres;

namespace Appliance.Nodes.Tests.Postgres;

/// <summary>
/// The status read carries <c>pg_stat_database.xact_commit</c> summed over every database
/// (<see cref="InstanceStatus.Commits"/>): the dashboard's commits per second are its differences between probes.
/// </summary>
[Trait("Category", "Postgres")]
public class CommitCounterTests
{
    [Fact]
    public async Task The_status_read_counts_the_transactions_committed_on_the_server()
    {
        await using var cluster = new TestCluster();
        var node = await cluster.ReadOnlyPrimaryAsync(TestCluster.Peer("p"), TestCluster.Peer("s"));
        var before = (await node.Probe.ReadStatusAsync(default)).Commits;
        Assert.NotNull(before);

        // One connection, so that its statistics are flushed together (PostgreSQL flushes a backend's counters at most
        // once a second, hence the wait below); each statement is a transaction of its own, read-only ones included.
        await using (var connection = await Sql.ConnectAsync(node))
            for (var i = 0; i < 25; i++)
                await using (var command = new Npgsql.NpgsqlCommand("SELECT 1", connection))
                    await command.ExecuteScalarAsync();

        var after = await Eventually.ReturnsAsync(async () => (await node.Probe.ReadStatusAsync(default)).Commits,
            c => c >= before + 25, $"xact_commit grows by at least 25 from {before}");
        Assert.True(after >= before + 25);
    }
}
