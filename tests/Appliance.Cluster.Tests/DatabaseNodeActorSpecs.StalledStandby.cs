using Akka.Actor;
using Appliance.Nodes.State;

namespace Appliance.Cluster.Tests;

public sealed partial class DatabaseNodeActorSpecs
{
    [Fact]
    public async Task An_async_whose_sync_removed_the_WAL_it_needs_says_so_and_is_cloned_afresh_from_the_sync()
    {
        // BENCHMARKS finding 10 through the actors: the async's role watches that it streams and clones it afresh once
        // its upstream can never feed it. wal_keep_size is 64MB in the tests: four segments.
        var options = QuickStallChecks;
        var state = await ThreeNodeChainAsync(options: options);
        var (primary, sync, async) = (_nodes.Drivers["n1"], _nodes.Drivers["n2"], _nodes.Drivers["n3"]);
        await Sql.HasRowAsync(async, 1);

        // The async's node goes away, and its sync recycles the segments the async would need on its return.
        var needed = (await async.Probe.ReadStatusAsync(default)).AppliedPosition;
        await _nodes.Actors["n3"].GracefulStop(TimeSpan.FromSeconds(60));
        await async.StopAsync(default);
        await RecycleWalAsync(primary, 2, 8, needed, standby: sync);

        await _nodes.RestartActorAsync(Sys, "n3", TestActor, RejoinPolicy.Auto, options);
        _nodes.Publish(state);
        var waiting = await _nodes.UntilAsync("n3", s => s.LastError?.Contains("upstream n2 no longer holds the WAL this standby needs") == true,
            "the async says why it does not stream");
        Assert.Equal(PeerRole.Async, waiting.AppliedRole);
        await Sql.HasRowAsync(async, 8);   // cloned afresh from n2
        await Sql.ExecAsync(primary, "INSERT INTO t VALUES (9)");
        await Sql.HasRowAsync(async, 9);
        await Eventually.TrueAsync(async () => (await async.Probe.ReadStandbyProgressAsync(default)).Streaming, "n3 streams from n2");
        await _nodes.UntilAsync("n3", s => s.LastError is null && s.AppliedRole == PeerRole.Async, "n3 plays its role with nothing to report");
        Assert.Equal("n3", Assert.Single(await sync.Probe.ReadDownstreamsAsync(default)).ApplicationName);
    }

    [Fact]
    public async Task A_sync_whose_primary_was_down_longer_than_twice_the_patience_streams_again_and_is_not_cloned()
    {
        // BENCHMARKS finding 11's rule clones a standby that does not stream although its upstream holds its WAL, after
        // twice the patience; the role counts only time while its upstream answers. Without that, the first check after
        // an outage longer than that (here 12 s) came before the WAL receiver had reconnected, and a healthy sync was
        // copied. A copy would remove the marker file from its data directory.
        var options = QuickStallChecks with { StandbyStallPatience = TimeSpan.FromSeconds(6) };
        var state = await ThreeNodeChainAsync(options: options);
        var (primary, sync) = (_nodes.Drivers["n1"], _nodes.Drivers["n2"]);
        await Sql.HasRowAsync(sync, 1);
        var marker = Path.Combine(sync.DataDirectory.Path, "appliance-test-marker");
        await File.WriteAllTextAsync(marker, "a fresh copy has no such file");

        await _nodes.Actors["n1"].GracefulStop(TimeSpan.FromSeconds(60));
        await primary.StopAsync(default);
        await _nodes.UntilAsync("n2", s => s.LastError?.Contains("which cannot be read") == true, "the sync says its primary cannot be read");
        // The outage is the fault, not a wait: longer than twice the patience, so that the whole stall counts.
        await Task.Delay(options.StandbyStallPatience * StandbyStall.HoldingPatienceFactor + TimeSpan.FromSeconds(2));

        await _nodes.RestartActorAsync(Sys, "n1", TestActor, RejoinPolicy.Auto, options);
        _nodes.Publish(state);
        await _nodes.UntilAsync("n1", s => s.ReadWrite, "the primary takes writes again");
        await Sql.ExecAsync(primary, "INSERT INTO t VALUES (2)");
        await Sql.HasRowAsync(sync, 2);
        await Eventually.TrueAsync(async () => (await sync.Probe.ReadStandbyProgressAsync(default)).Streaming, "n2 streams from n1 again");
        Assert.True(File.Exists(marker), "the sync was cloned afresh although it streamed again within seconds of its primary's return");
    }
}
