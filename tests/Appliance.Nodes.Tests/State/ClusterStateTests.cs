using Appliance.Nodes.State;
using static Appliance.Nodes.Tests.State.ScenarioCluster;

namespace Appliance.Nodes.Tests.State;

[Trait("Category", "Unit")]
public class ClusterStateTests
{
    [Fact]
    public void Validate_AcceptsANormalAndASingletonState()
    {
        Assert.Empty(StateOf(3, "a", "b", ["c", "d"], ["e"], "0/10").Validate());
        Assert.Empty(StateOf(1, "a", null, singleton: true, frozen: "x").Validate());
    }

    public static TheoryData<ClusterState, string> Broken => new()
    {
        { StateOf(1, "a", "a"), "peer a is both primary and sync" },
        { StateOf(1, "a", "b", ["a"]), "peer a is both primary and async" },
        { StateOf(1, "a", "b", ["b"]), "peer b is both sync and async" },
        { StateOf(1, "a", "b", ["c"], ["c"]), "deposed peer c is in the async list" },
        { StateOf(1, "a", "b", deposed: ["a"]), "peer a is both primary and deposed" },
        { StateOf(1, "a", "b", deposed: ["b"]), "peer b is both sync and deposed" },
        { StateOf(1, "a", "b", ["c", "c"]), "peer c appears 2 times in the async list" },
        { StateOf(1, "a", "b", deposed: ["c", "c"]), "peer c appears 2 times in the deposed list" },
        { StateOf(1, "a", null), "there is no sync; only a singleton cluster runs without one" },
        { StateOf(1, "a", "b", singleton: true), "singleton mode has no sync, but the state names sync b" },
        { StateOf(1, "a", null, ["c"], singleton: true), "singleton mode has no asyncs, but the state lists c" },
        { StateOf(0, "a", "b"), "generation is 0; generations start at 1" },
        { StateOf(1, "a", "b", version: 0), "version is 0; the first state has version 1" },
        { StateOf(1, "a", "b", frozen: " "), "the freeze has no reason" },
    };

    [Theory]
    [MemberData(nameof(Broken))]
    public void Validate_NamesEachProblem(ClusterState state, string problem)
    {
        Assert.Contains(problem, state.Validate());
        var error = Assert.Throws<InvalidClusterStateException>(() => state.EnsureValid());
        Assert.Contains(problem, error.Message);
    }

    [Fact]
    public void RoleOf_GivesUpstreamAndDownstreamAlongTheChain()
    {
        var s = StateOf(2, "p", "s", ["a0", "a1", "a2"], ["d"]);
        Assert.Equal(new RoleAssignment(PeerRole.Primary, null, Peer("s")), s.RoleOf("p"));
        Assert.Equal(new RoleAssignment(PeerRole.Sync, Peer("p"), Peer("a0")), s.RoleOf("s"));
        Assert.Equal(new RoleAssignment(PeerRole.Async, Peer("s"), Peer("a1"), 0), s.RoleOf("a0"));
        Assert.Equal(new RoleAssignment(PeerRole.Async, Peer("a0"), Peer("a2"), 1), s.RoleOf("a1"));
        Assert.Equal(new RoleAssignment(PeerRole.Async, Peer("a1"), null, 2), s.RoleOf("a2"));
        Assert.Equal(RoleAssignment.Deposed, s.RoleOf("d"));
        Assert.Equal(RoleAssignment.Unassigned, s.RoleOf("stranger"));
    }

    [Fact]
    public void RoleOf_SyncWithoutAsyncsHasNoDownstream_SingletonHasOnlyAPrimary()
    {
        Assert.Equal(new RoleAssignment(PeerRole.Sync, Peer("p"), null), StateOf(1, "p", "s").RoleOf("s"));
        var singleton = StateOf(1, "p", null, singleton: true);
        Assert.Equal(new RoleAssignment(PeerRole.Primary, null, null), singleton.RoleOf("p"));
        Assert.Equal(RoleAssignment.Unassigned, singleton.RoleOf("s"));
    }

    [Fact]
    public void Equality_ComparesListsByContent()
    {
        var a = StateOf(2, "p", "s", ["a0", "a1"], ["d"], "0/10");
        var b = StateOf(2, "p", "s", ["a0", "a1"], ["d"], "0/10");
        Assert.Equal(a, b);
        Assert.Equal(a.GetHashCode(), b.GetHashCode());
        Assert.NotEqual(a, StateOf(2, "p", "s", ["a1", "a0"], ["d"], "0/10"));
        Assert.NotEqual(a, a with { Freeze = new FreezeInfo("x", Now) });
    }
}

[Trait("Category", "Unit")]
public class WalFenceTests
{
    [Fact]
    public void StopReceiving_IsUsedOnlyIfThePeerBecamePrimary()
    {
        var tookOver = StateOf(2, "s", "a", deposed: ["p"]);
        Assert.False(WalFence.StopReceivingWal.IsUnusedBy("s", tookOver));
        Assert.True(WalFence.StopReceivingWal.IsUnusedBy("s", StateOf(1, "p", "s", ["a"])));
        Assert.True(WalFence.StopReceivingWal.IsUnusedBy("s", null));
    }

    [Fact]
    public void A_fence_used_by_any_state_of_the_round_stays_up_even_if_a_later_state_moved_the_peer_on()
    {
        // Found by the property test once the coordinator's host could be relieved in the same round as a takeover:
        // s took over (its fence used), then was deposed by a planned move; lifting its fence let s, on a stale view,
        // stream from p again and acknowledge p's writes as its sync.
        var tookOver = StateOf(2, "s", "a", ["b"], deposed: ["p"], version: 2);
        var movedOn = StateOf(3, "a", "b", deposed: ["p", "s"], version: 3);
        Assert.True(WalFence.StopReceivingWal.IsUnusedBy("s", movedOn));   // the final state alone would lift it
        Assert.False(WalFence.StopReceivingWal.IsUnusedByRound("s", movedOn, [tookOver, movedOn]));
        // A round that wrote nothing decides by the current state; one whose states never used the fence lifts it.
        Assert.True(WalFence.StopReceivingWal.IsUnusedByRound("s", StateOf(1, "p", "s", ["a"]), []));
        Assert.True(WalFence.StopReceivingWal.IsUnusedByRound("b", movedOn, [tookOver, movedOn]));
    }

    [Fact]
    public void NameSync_IsLiftedOnlyFromAPrimaryWhoseStateNamesAnotherSync()
    {
        var fence = new WalFence.NameSync("a");
        Assert.False(fence.IsUnusedBy("p", StateOf(2, "p", "a")));
        Assert.True(fence.IsUnusedBy("p", StateOf(1, "p", "s", ["a"])));
        Assert.False(fence.IsUnusedBy("p", StateOf(2, "s", "a", deposed: ["p"])));   // deposed: it follows the new state anyway
    }
}
