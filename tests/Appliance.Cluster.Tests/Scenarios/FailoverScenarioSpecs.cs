using Appliance.Actors.Protocol;
using Appliance.Nodes.State;
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

    [Fact]
    public async Task Killing_the_sync_makes_the_primary_take_the_async_as_its_new_sync()
    {
        var before = await BootAsync();
        await using var writer = StartWriter();
        await writer.MoreAcknowledgedAsync(20, Long);

        var killedAt = await _cluster.KillAsync(before.Sync!.Id);
        var after = await _cluster.StateAsync(s => s.Generation > before.Generation && s.Sync!.Is(before.Async[0]), "the async became the sync", Long);
        Assert.Equal(before.Primary.Id, after.Primary.Id);
        Assert.Empty(after.Deposed);
        await FailoverTimeAsync(writer, killedAt, "sync killed");
        await writer.MoreAcknowledgedAsync(20, Long);
        await writer.DisposeAsync();
        await AssertNoAcknowledgedWriteLostAsync(writer, after.Primary.Id);
    }

    [Fact]
    public async Task Killing_an_async_closes_the_chain_and_the_restarted_async_rejoins_the_tail_and_catches_up()
    {
        var before = await BootAsync();
        var async = before.Async[0].Id;
        await using var writer = StartWriter();
        await writer.MoreAcknowledgedAsync(20, Long);

        await _cluster.KillAsync(async);
        var closed = await _cluster.StateAsync(s => s.Async.IsEmpty, "the chain closed over the async", Long);
        Assert.Equal(before.Generation, closed.Generation);
        await writer.MoreAcknowledgedAsync(20, Long);   // the primary and its sync never noticed

        await _cluster.StartAsync(async);
        var rejoined = await _cluster.StateAsync(s => s.Async.Length == 1 && s.Async[0].Is(async), "the async is back at the tail", Long);
        Assert.Equal(before.Generation, rejoined.Generation);
        await writer.MoreAcknowledgedAsync(10, Long);
        await writer.DisposeAsync();
        await AssertNoAcknowledgedWriteLostAsync(writer, before.Primary.Id);
        var expected = writer.Acknowledged.Count;
        await Eventually.TrueAsync(async () => await Sql.CountAsync(_cluster.Driver(async), "acked") >= expected,
            $"{async} caught up with {expected} rows", Long);
    }

    [Fact]
    public async Task The_old_primary_comes_back_never_serves_as_it_was_and_under_auto_rejoins_as_an_async_after_a_rewind()
    {
        var before = await BootAsync(RejoinPolicy.Auto);
        var old = before.Primary.Id;
        await using var writer = StartWriter();
        await writer.MoreAcknowledgedAsync(20, Long);
        await _cluster.KillAsync(old);
        var after = await _cluster.StateAsync(s => s.Primary.Is(before.Sync), "the sync took over", Long);
        await writer.MoreAcknowledgedAsync(10, Long);

        await _cluster.StartAsync(old);
        var servedWrites = false;
        var rejoined = await Eventually.ReturnsAsync(async () =>
        {
            var snapshot = await _cluster.SnapshotAsync(old);
            servedWrites |= snapshot.ReadWrite || snapshot.AppliedRole == PeerRole.Primary;
            return snapshot.State;
        }, s => s is not null && s.Async.Any(a => a.Is(old)) && s.Deposed.IsEmpty, $"{old} rejoined as an async", Long);
        _cluster.Log($"state: {rejoined}");
        Assert.False(servedWrites, $"{old} served as primary after it came back");
        Assert.Equal(after.Generation, rejoined!.Generation);
        await writer.MoreAcknowledgedAsync(10, Long);
        await writer.DisposeAsync();
        await AssertNoAcknowledgedWriteLostAsync(writer, after.Primary.Id);
        var expected = writer.Acknowledged.Count;
        await Eventually.TrueAsync(async () => await Sql.CountAsync(_cluster.Driver(old), "acked") >= expected, $"{old} caught up", Long);
    }

    [Fact]
    public async Task Under_manual_rejoin_the_old_primary_stays_deposed_until_an_operator_rebuilds_it()
    {
        var before = await BootAsync(RejoinPolicy.Manual);
        var old = before.Primary.Id;
        await _cluster.KillAsync(old);
        var after = await _cluster.StateAsync(s => s.Primary.Is(before.Sync), "the sync took over", Long);

        await _cluster.StartAsync(old);
        await Eventually.ReturnsAsync(() => _cluster.SnapshotAsync(old), s => s.AppliedRole == PeerRole.Deposed, $"{old} applied deposed", Long);
        // A negative property needs a window: across several coordinator ticks it stays deposed and stopped.
        await HoldsForAsync(async () =>
        {
            var current = (await _cluster.CoordinatorStateAsync(after.Primary.Id)).State!;
            return current.IsDeposed(old) && !_cluster.Driver(old).IsRunning;
        }, TimeSpan.FromSeconds(3), $"{old} stays deposed with PostgreSQL stopped");

        var accepted = Assert.IsType<OperatorProtocol.Accepted>(await _cluster.SubmitAsync(after.Primary.Id, new OperatorCommand.Rebuild(old)));
        Assert.Equal(TransitionReason.Rebuilt, accepted.Recorded.Reason);
        await _cluster.StateAsync(s => s.Async.Any(a => a.Is(old)) && s.Deposed.IsEmpty, $"{old} rebuilt and back as an async", Long);
        await Sql.ExecAsync(_cluster.Driver(after.Primary.Id), "INSERT INTO acked VALUES (100000)");
        await Eventually.TrueAsync(async () => await Sql.CountAsync(_cluster.Driver(old), "acked", "id = 100000") == 1, $"{old} streams again", Long);
    }

    [Fact]
    public async Task Stopping_and_restarting_all_three_nodes_resumes_with_the_same_primary_from_the_persisted_state()
    {
        var before = await BootAsync();
        await using (var writer = StartWriter())
        {
            await writer.MoreAcknowledgedAsync(20, Long);
            await writer.DisposeAsync();
            // A power cut: every machine at once. (Staggered deaths may let the coordinator replace a sync on the way
            // down, which is correct and changes the generation; the primary is the same either way.)
            await Task.WhenAll(_cluster.Running.ToList().Select(_cluster.KillAsync));

            // The primary's machine comes back first, then the others, as after a power cut.
            await _cluster.StartAsync(before.Primary.Id);
            await _cluster.StartAsync(before.Sync!.Id);
            await _cluster.StartAsync(before.Async[0].Id);
            var resumed = await _cluster.StateAsync(s => s.Version >= before.Version, "the state is back", Long);
            Assert.Equal(before.Primary.Id, resumed.Primary.Id);
            Assert.True(resumed.Generation >= before.Generation);
            await _cluster.WritableAsync(before.Primary.Id);
            await AssertNoAcknowledgedWriteLostAsync(writer, before.Primary.Id);
        }
    }

    [Fact]
    public async Task Frozen_no_takeover_until_unfreeze_then_switchover_to_the_sync_and_to_a_named_async()
    {
        _cluster = new ApplianceTestCluster(output, 4);
        await _cluster.StartAllAsync();
        var before = await _cluster.StateAsync(s => s.Sync is not null && s.Async.Length == 2, "primary, sync and two asyncs", Long);
        await _cluster.WritableAsync(before.Primary.Id);
        await Sql.ExecAsync(_cluster.Driver(before.Primary.Id), "CREATE TABLE acked (id int primary key)");
        var via = before.Async[1].Id;

        Assert.IsType<OperatorProtocol.Accepted>(await _cluster.SubmitAsync(via, new OperatorCommand.Freeze("maintenance")));
        await _cluster.KillAsync(before.Primary.Id);
        // The coordinator (wherever it runs now) wants a takeover and refuses it; and keeps refusing.
        await Eventually.ReturnsAsync(() => _cluster.CoordinatorStateAsync(via), s => s.LastRefusal?.Reason == RefusalReason.ClusterFrozen,
            "the takeover is refused as frozen", Long);
        await HoldsForAsync(async () =>
        {
            var current = await _cluster.CoordinatorStateAsync(via);
            return current.State!.Primary.Is(before.Primary) && current.State.IsFrozen;
        }, TimeSpan.FromSeconds(3), "no takeover while frozen");

        Assert.IsType<OperatorProtocol.Accepted>(await _cluster.SubmitAsync(via, new OperatorCommand.Unfreeze()));
        var tookOver = await _cluster.StateAsync(s => s.Primary.Is(before.Sync), "the sync took over after unfreeze", Long);
        await _cluster.WritableAsync(tookOver.Primary.Id);

        // Planned switchover to the sync: the running primary is deposed, the sync takes writes.
        var switched = await SwitchoverAcceptedAsync(via, tookOver.Sync!.Id);
        Assert.Equal(TransitionReason.Switchover, switched.Recorded.Reason);
        var afterSwitch = await _cluster.StateAsync(s => s.Primary.Is(tookOver.Sync), "switched over to the sync", Long);
        await _cluster.WritableAsync(afterSwitch.Primary.Id);

        // Switchover naming an async: async[0] becomes the sync, the old sync heads the chain.
        var named = await _cluster.StateAsync(s => s.Async.Length >= 1 && s.Version >= afterSwitch.Version, "an async to name", Long);
        var target = named.Async[0].Id;
        // Named straight after the switchover, it may not report PostgreSQL running yet (refused as offline).
        await SwitchoverAcceptedAsync(via, target);
        var moved = await _cluster.StateAsync(s => s.Sync!.Is(target), $"{target} is the sync", Long);
        Assert.Equal(named.Primary.Id, moved.Primary.Id);
        await _cluster.WritableAsync(moved.Primary.Id);
    }

    [Fact]
    public async Task Once_the_cluster_is_quiet_the_primary_moves_off_the_coordinators_host_and_no_acknowledged_write_is_lost()
    {
        _cluster = new ApplianceTestCluster(output, 3, RejoinPolicy.Auto, relieveCoordinatorHost: true);
        await _cluster.StartAllAsync();
        var booted = await _cluster.StateAsync(s => s.Sync is not null && s.Async.Length == 1, "primary, sync and one async", Long);
        await _cluster.WritableAsync(booted.Primary.Id);
        await Sql.ExecAsync(_cluster.Driver(booted.Primary.Id), "CREATE TABLE acked (id int primary key)");
        var host = _cluster.CoordinatorHost();
        _cluster.Log($"the coordinator runs on {host}");
        await using var writer = StartWriter();
        await writer.MoreAcknowledgedAsync(20, Long);

        // An operator moves the coordinator's host up to primary (async → sync → primary), as failovers would in time.
        var via = _cluster.Running.First(n => n != host);
        // A sync just named may be refused as not caught up yet; an operator asks again, and so does the test.
        for (var step = 0; step < 2; step++)
        {
            var current = (await _cluster.CoordinatorStateAsync(via)).State!;
            if (current.Primary.Is(host)) break;
            await SwitchoverAcceptedAsync(via, host);
        }
        var onHost = await _cluster.StateAsync(s => s.Primary.Is(host), $"{host}, the coordinator's host, is primary", Long);
        await _cluster.WritableAsync(host);

        // Once the deposed peer is back and nothing has changed for the quiet spell, the coordinator moves the primary.
        var moved = await _cluster.StateAsync(s => !s.Primary.Is(host) && s.Version > onHost.Version, "the primary moved off the coordinator's host", Long);
        var history = await _cluster.HistoryAsync(via);
        // Only the move after the host became primary: if the coordinator's peer had to be the sync at setup (two
        // members present then), the sync was moved off it too, earlier, once the boot was quiet.
        var relief = Assert.Single(history, h => h.Reason == TransitionReason.CoordinatorHostRelieved && h.State.Version > onHost.Version);
        _cluster.Log($"relieved: {relief.State} ({relief.Detail})");
        Assert.True(relief.State.IsDeposed(host), $"{host} was not deposed by the move");
        Assert.Equal(onHost.Sync!.Id, relief.State.Primary.Id);
        await _cluster.WritableAsync(moved.Primary.Id);
        var gap = await writer.FirstAcknowledgedAfterAsync(relief.At, Long) - relief.At;
        _cluster.Log($"first acknowledged write {gap.TotalSeconds:0.00} s after the move was written");

        // The old primary rewinds and rejoins at the tail, and nothing moves again.
        var settled = await _cluster.StateAsync(s => s.Async.Any(a => a.Is(host)) && s.Deposed.IsEmpty, $"{host} rejoined as an async", Long);
        Assert.Equal(relief.State.Primary.Id, settled.Primary.Id);
        await writer.MoreAcknowledgedAsync(20, Long);
        await writer.DisposeAsync();
        await AssertNoAcknowledgedWriteLostAsync(writer, settled.Primary.Id);
    }

    /// <summary>Fails if <paramref name="condition"/> is ever false during <paramref name="window"/>.</summary>
    /// <summary>
    /// Submits a switchover to <paramref name="target"/> until it is accepted, as an operator would ask again: a peer
    /// named just after a change may be refused for a while (not caught up, or not reporting PostgreSQL running yet).
    /// Each distinct refusal goes to the log.
    /// </summary>
    private async Task<OperatorProtocol.Accepted> SwitchoverAcceptedAsync(string via, string target)
    {
        var refusals = new HashSet<RefusalReason>();
        var answer = await Eventually.ReturnsAsync(async () =>
        {
            var reply = await _cluster.SubmitAsync(via, new OperatorCommand.Switchover(target));
            if (reply is OperatorProtocol.Refused refused && refusals.Add(refused.Reason))
                _cluster.Log($"switchover to {target} refused: {refused.Reason}: {refused.Detail}");
            return reply;
        }, a => a is OperatorProtocol.Accepted, $"a switchover to {target} is accepted", Long);
        return (OperatorProtocol.Accepted)answer;
    }

    private static async Task HoldsForAsync(Func<Task<bool>> condition, TimeSpan window, string what)
    {
        var until = DateTimeOffset.UtcNow + window;
        while (DateTimeOffset.UtcNow < until)
        {
            Assert.True(await condition(), $"expected throughout {window.TotalSeconds:0} s: {what}");
            await Task.Delay(200);
        }
    }
}
