using Appliance.Host.Api;
using Appliance.Host.Cli;
using Appliance.Nodes.Postgres;
using Appliance.Nodes.State;
using Xunit.Abstractions;

namespace Appliance.Cluster.Tests.Scenarios;

/// <summary>
/// Issue 7's scenarios: hosts in placement mode, instances as sharded entities placed by our allocation strategy, a
/// writer that records every acknowledged insert. A lost host's instance is re-created on a host with room, as a new
/// incarnation that clones and joins the tail of the chain.
/// </summary>
[Trait("Category", "Cluster")]
public sealed class PlacementScenarioSpecs(ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(180);
    private PlacementTestCluster _cluster = null!;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_cluster is not null) await _cluster.DisposeAsync();
    }

    private static bool Full(ClusterState s) => s.Sync is not null && s.Async.Length == 1 && s.Deposed.IsEmpty;

    private static IEnumerable<PeerId> Serving(ClusterState s) => s.Async.Prepend(s.Sync!).Prepend(s.Primary);

    private async Task<ClusterState> BootAsync(int hosts, int size)
    {
        _cluster = new PlacementTestCluster(output, size, seeds: 3);
        await _cluster.StartHostsAsync(hosts, Long);
        var state = await _cluster.StateAsync(Full, "primary, sync and one async", Long);
        var primary = await Eventually.ReturnsAsync(_cluster.WritablePrimaryAsync, p => p is not null, "a writable primary", Long);
        await Sql.ExecAsync(primary!, "CREATE TABLE acked (id int primary key)");
        // One instance per host.
        Assert.Equal(3, Serving(state).Select(p => _cluster.HostOf(p)).Distinct().Count());
        return state;
    }

    private AcknowledgedWriter StartWriter()
    {
        var writer = new AcknowledgedWriter(_cluster.WritablePrimaryAsync, _cluster.Log);
        writer.Start();
        return writer;
    }

    private async Task AssertNoAcknowledgedWriteLostAsync(AcknowledgedWriter writer, PostgresDriver primary)
    {
        var rows = new HashSet<int>();
        await using (var connection = await primary.Probe.OpenAsync(default))
        await using (var select = new Npgsql.NpgsqlCommand("SELECT id FROM acked", connection))
        await using (var reader = await select.ExecuteReaderAsync())
            while (await reader.ReadAsync()) rows.Add(reader.GetInt32(0));
        var missing = writer.Acknowledged.Where(id => !rows.Contains(id)).Order().ToList();
        _cluster.Log($"{writer.Acknowledged.Count} acknowledged writes, {rows.Count} rows on {primary.Settings.Self.Id}, {missing.Count} missing");
        Assert.True(writer.Acknowledged.Count > 0, "the writer never got a write acknowledged");
        Assert.Empty(missing);
    }

    [Fact]
    public async Task Four_hosts_three_instances_each_lost_host_is_replaced_on_the_spare_host_and_no_acknowledged_write_is_lost()
    {
        await BootAsync(hosts: 4, size: 3);
        await using var writer = StartWriter();
        await writer.MoreAcknowledgedAsync(20, Long);

        foreach (var role in new[] { PeerRole.Async, PeerRole.Sync, PeerRole.Primary })
        {
            var before = (await _cluster.CoordinatorStateAsync())!;
            var victim = role switch { PeerRole.Async => before.Async[0], PeerRole.Sync => before.Sync!, _ => before.Primary };
            var instance = InstanceIds.InstanceOf(victim.Id);
            var victimHost = _cluster.HostOf(victim)!;
            var spare = Assert.Single(_cluster.Running, h => _cluster.Instances(h).Count == 0);
            _cluster.Log($"killing {victimHost}, host of the {role} {victim.Id}; {spare} is the spare");

            await _cluster.KillAsync(victimHost);
            var after = await _cluster.StateAsync(
                s => Full(s) && !s.Names(victim.Id) && Serving(s).Any(p => InstanceIds.InstanceOf(p.Id) == instance),
                $"{instance} re-created on {spare}, cloned, and the cluster back to primary + sync + async", Long);
            var replacement = Serving(after).Single(p => InstanceIds.InstanceOf(p.Id) == instance);
            Assert.Equal(InstanceIds.Incarnation(instance, spare), replacement.Id);
            Assert.Equal(spare, _cluster.HostOf(replacement));
            Assert.Equal(replacement, after.Async[^1]);   // the new incarnation joined at the tail
            if (role == PeerRole.Primary) Assert.True(after.Generation > before.Generation);

            await writer.MoreAcknowledgedAsync(20, Long);
            if (role == PeerRole.Primary) continue;
            await _cluster.AddHostAsync();   // the next spare, a member before the next host is lost
            await _cluster.AllUpAsync(Long);
        }

        var history = await _cluster.HistoryAsync();
        Assert.Contains(history, h => h.Reason == TransitionReason.IncarnationReplaced);
        foreach (var entry in history) _cluster.Log($"history v{entry.State.Version} {entry.Reason}: {entry.Detail}");

        await writer.DisposeAsync();
        var final = (await _cluster.CoordinatorStateAsync())!;
        await AssertNoAcknowledgedWriteLostAsync(writer, _cluster.Driver(final.Primary)!);
    }

    [Fact]
    public async Task Three_hosts_one_lost_runs_on_two_instances_and_says_so_until_a_fourth_host_receives_the_missing_instance()
    {
        var before = await BootAsync(hosts: 3, size: 3);
        await using var writer = StartWriter();
        await writer.MoreAcknowledgedAsync(20, Long);

        var victim = before.Async[0];
        await _cluster.KillAsync(_cluster.HostOf(victim)!);
        var shrunk = await _cluster.StateAsync(s => s.Sync is not null && s.Async.IsEmpty && !s.Names(victim.Id), "the chain closed: two instances", Long);
        await writer.MoreAcknowledgedAsync(20, Long);
        // Co-location is off: no host takes the lost instance.
        Assert.All(_cluster.Running, h => Assert.Single(_cluster.Instances(h)));

        var problems = await VerifyAsync(shrunk, configured: 3);
        Assert.Contains(problems, p => p.StartsWith("cluster runs on 2 of 3 instances", StringComparison.Ordinal));

        var fourth = await _cluster.AddHostAsync();
        var instance = InstanceIds.InstanceOf(victim.Id);
        var healed = await _cluster.StateAsync(s => Full(s) && s.Async[0].Id == InstanceIds.Incarnation(instance, fourth),
            $"{instance} placed on {fourth}", Long);
        await writer.MoreAcknowledgedAsync(20, Long);
        var healthy = await Eventually.ReturnsAsync(() => VerifyAsync(healed, configured: 3), p => p.Count == 0, "verify finds no problem", Long);
        Assert.Empty(healthy);

        await writer.DisposeAsync();
        await AssertNoAcknowledgedWriteLostAsync(writer, _cluster.Driver(healed.Primary)!);
    }

    [Fact]
    public async Task Scaling_three_to_five_to_three_under_steady_writes_fails_no_write()
    {
        await BootAsync(hosts: 5, size: 3);
        await using var writer = StartWriter();
        await writer.MoreAcknowledgedAsync(20, Long);

        var grow = Assert.IsType<Appliance.Actors.Protocol.OperatorProtocol.Accepted>(await _cluster.SubmitAsync(new OperatorCommand.Scale(5)));
        Assert.Equal(TransitionReason.Scaled, grow.Recorded.Reason);
        var five = await _cluster.StateAsync(s => s.Sync is not null && s.Async.Length == 3 && s.Instances == 5, "five instances, three asyncs", Long);
        Assert.Equal(5, Serving(five).Select(p => _cluster.HostOf(p)).Distinct().Count());
        await writer.MoreAcknowledgedAsync(20, Long);

        var tooSmall = Assert.IsType<Appliance.Actors.Protocol.OperatorProtocol.Refused>(await _cluster.SubmitAsync(new OperatorCommand.Scale(2)));
        Assert.Equal(RefusalReason.BelowMinimum, tooSmall.Reason);
        var shrink = Assert.IsType<Appliance.Actors.Protocol.OperatorProtocol.Accepted>(await _cluster.SubmitAsync(new OperatorCommand.Scale(3)));
        Assert.Equal(3, shrink.Recorded.State.Instances);
        var three = await _cluster.StateAsync(s => Full(s) && s.Instances == 3, "back to three instances", Long);
        Assert.All(Serving(three), p => Assert.True(InstanceIds.NumberOf(InstanceIds.InstanceOf(p.Id)) <= 3));
        await Eventually.TrueAsync(() => Task.FromResult(_cluster.Running.Sum(h => _cluster.Instances(h).Count) == 3),
            "the hosts stopped pg-4 and pg-5", Long);
        await writer.MoreAcknowledgedAsync(20, Long);

        await writer.DisposeAsync();
        Assert.Equal(0, writer.Failed);
        await AssertNoAcknowledgedWriteLostAsync(writer, _cluster.Driver(three.Primary)!);
    }

    private async Task<IReadOnlyList<string>> VerifyAsync(ClusterState state, int configured)
    {
        var prober = new PeerProber(ClusterCredentials.FromSecret(PlacementTestCluster.Password));
        var peers = await prober.ProbeAsync(state, default);
        var problems = Verify.Problems(new ClusterViewDto(StateDto.From(state), peers, null, true, "test", configured));
        foreach (var p in problems) _cluster.Log($"verify: {p}");
        return problems;
    }
}
