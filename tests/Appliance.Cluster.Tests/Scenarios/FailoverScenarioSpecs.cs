using Appliance.Actors.Protocol;
using Appliance.Nodes.Postgres;
using Appliance.Nodes.State;
using Appliance.Nodes.Tests.Postgres;
using Xunit.Abstractions;

namespace Appliance.Cluster.Tests.Scenarios;

/// <summary>
/// Issue 4's scenarios: three real appliance nodes (Akka cluster on loopback, coordinator singleton on a shared SQLite
/// store, a real PostgreSQL 15 each) and a writer that records every acknowledged insert. Failover times are logged
/// (kill → first write acknowledged by the new primary), never asserted.
/// </summary>
[Trait("Category", "Cluster")]
public sealed class FailoverScenarioSpecs(ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(120);
    private ApplianceTestCluster _cluster = null!;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_cluster is not null) await _cluster.DisposeAsync();
    }

    private async Task<ClusterState> BootAsync(RejoinPolicy rejoin = RejoinPolicy.Auto)
    {
        _cluster = new ApplianceTestCluster(output, 3, rejoin);
        await _cluster.StartAllAsync();
        var state = await _cluster.StateAsync(s => s.Sync is not null && s.Async.Length == 1, "primary, sync and one async", Long);
        await _cluster.WritableAsync(state.Primary.Id);
        await Sql.ExecAsync(_cluster.Driver(state.Primary.Id), "CREATE TABLE acked (id int primary key)");
        return state;
    }

    private AcknowledgedWriter StartWriter()
    {
        var writer = new AcknowledgedWriter(async () =>
        {
            foreach (var name in _cluster.Running.ToList())
            {
                var held = (await _cluster.SnapshotAsync(name)).State;
                if (held is not null && _cluster.Running.Contains(held.Primary.Id)) return _cluster.Driver(held.Primary.Id);
            }
            return null;
        }, _cluster.Log);
        writer.Start();
        return writer;
    }

    /// <summary>Every acknowledged id is on <paramref name="primary"/>.</summary>
    private async Task AssertNoAcknowledgedWriteLostAsync(AcknowledgedWriter writer, string primary)
    {
        var rows = new HashSet<int>();
        await using (var connection = await _cluster.Driver(primary).Probe.OpenAsync(default))
        await using (var select = new Npgsql.NpgsqlCommand("SELECT id FROM acked", connection))
        await using (var reader = await select.ExecuteReaderAsync())
            while (await reader.ReadAsync()) rows.Add(reader.GetInt32(0));
        var missing = writer.Acknowledged.Where(id => !rows.Contains(id)).Order().ToList();
        _cluster.Log($"{writer.Acknowledged.Count} acknowledged writes, {rows.Count} rows on {primary}, {missing.Count} missing");
        Assert.True(writer.Acknowledged.Count > 0, "the writer never got a write acknowledged");
        Assert.Empty(missing);
    }

    private async Task<TimeSpan> FailoverTimeAsync(AcknowledgedWriter writer, DateTimeOffset killedAt, string what)
    {
        var first = await writer.FirstAcknowledgedAfterAsync(killedAt, Long);
        var took = first - killedAt;
        _cluster.Log($"FAILOVER {what}: first acknowledged write {took.TotalSeconds:0.00} s after the kill");
        return took;
    }

    [Fact]
    public async Task Killing_the_primary_promotes_the_sync_makes_the_async_the_sync_and_loses_no_acknowledged_write()
    {
        var before = await BootAsync();
        await using var writer = StartWriter();
        await writer.MoreAcknowledgedAsync(20, Long);

        var killedAt = await _cluster.KillAsync(before.Primary.Id);
        var after = await _cluster.StateAsync(s => s.Generation > before.Generation && s.Primary.Is(before.Sync), "the sync took over", Long);
        Assert.Equal(before.Async[0].Id, after.Sync!.Id);
        Assert.Contains(after.Deposed, d => d.Is(before.Primary));
        await FailoverTimeAsync(writer, killedAt, "primary killed");
        await writer.MoreAcknowledgedAsync(20, Long);
        await writer.DisposeAsync();
        await AssertNoAcknowledgedWriteLostAsync(writer, after.Primary.Id);
    }
}
