using Appliance.Nodes.State;

namespace Appliance.Nodes.Tests.State;

/// <summary>
/// <see cref="ShutdownHandOver"/>: a primary that stops asks for a switchover only to a streaming sync, after a short
/// wait for it to catch up, and never when it is no primary, a singleton, frozen or a standby cluster's leader.
/// </summary>
[Trait("Category", "Unit")]
public class ShutdownHandOverTests
{
    private static readonly PeerId N1 = new("n1", "10.0.0.1", 5432), N2 = new("n2", "10.0.0.2", 5432), N3 = new("n3", "10.0.0.3", 5432);
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(2);

    private static readonly ClusterState Chain = new()
    {
        Version = 7, Generation = 3, Primary = N1, Sync = N2, Async = [N3], Deposed = [], InitWal = Lsn.Zero,
    };

    [Fact]
    public void A_node_that_is_not_the_primary_playing_its_role_has_nothing_to_hand_over()
    {
        Assert.IsType<HandOverStep.NotPrimary>(ShutdownHandOver.Begin(null, N1, PeerRole.Primary));
        Assert.IsType<HandOverStep.NotPrimary>(ShutdownHandOver.Begin(Chain, N2, PeerRole.Sync));
        // Named primary by the state, but not yet running as one (its promotion is still in flight).
        Assert.IsType<HandOverStep.NotPrimary>(ShutdownHandOver.Begin(Chain, N1, PeerRole.Sync));
    }

    [Fact]
    public void A_singleton_a_frozen_cluster_and_a_standby_leader_stop_without_a_switchover()
    {
        var singleton = Chain with { Sync = null, Async = [], Singleton = true };
        var alone = Assert.IsType<HandOverStep.StopWithout>(ShutdownHandOver.Begin(singleton, N1, PeerRole.Primary));
        Assert.Contains("singleton primary: nobody to hand over to", alone.Why);
        Assert.False(alone.Warn);

        var frozen = Assert.IsType<HandOverStep.StopWithout>(ShutdownHandOver.Begin(Chain with { Freeze = new FreezeInfo("upgrade", DateTimeOffset.UnixEpoch) }, N1, PeerRole.Primary));
        Assert.Contains("frozen cluster: no switchover", frozen.Why);
        Assert.True(frozen.Warn);

        var leader = Assert.IsType<HandOverStep.StopWithout>(ShutdownHandOver.Begin(Chain with { StandbyOf = StandbySource.Parse("10.9.0.1:5432") }, N1, PeerRole.Primary));
        Assert.Contains("standby cluster", leader.Why);
        Assert.False(leader.Warn);
    }

    [Fact]
    public void A_primary_reads_its_syncs_link_and_switches_over_to_it_once_caught_up_or_after_the_wait()
    {
        Assert.Equal(new HandOverStep.ReadSyncLink(N2), ShutdownHandOver.Begin(Chain, N1, PeerRole.Primary));
        var behind = new SyncLink(Streaming: true, CaughtUp: false, "streaming");
        Assert.Equal(new HandOverStep.ReadSyncLink(N2), ShutdownHandOver.OnSyncLink(Chain, behind, TimeSpan.FromMilliseconds(500), Wait));
        // A streaming sync is enough once the wait is over: it holds every acknowledged commit.
        Assert.Equal(new HandOverStep.SwitchOver(N2, 3), ShutdownHandOver.OnSyncLink(Chain, behind, Wait, Wait));
        Assert.Equal(new HandOverStep.SwitchOver(N2, 3), ShutdownHandOver.OnSyncLink(Chain, behind with { CaughtUp = true }, TimeSpan.Zero, Wait));
    }

    [Theory]
    [InlineData("catchup", "sync n2 is not streaming (catchup)")]
    [InlineData(null, "sync n2 is not streaming (not connected)")]
    public void A_sync_that_does_not_stream_gets_no_switchover_and_the_operator_is_warned(string? state, string expected)
    {
        var link = state is null ? null : new SyncLink(Streaming: false, CaughtUp: false, state);
        var step = Assert.IsType<HandOverStep.StopWithout>(ShutdownHandOver.OnSyncLink(Chain, link, TimeSpan.Zero, Wait));
        Assert.StartsWith(expected, step.Why);
        Assert.True(step.Warn);
    }
}
