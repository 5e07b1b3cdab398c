using System.Collections.Immutable;
using Appliance.Nodes.State;
using static Appliance.Nodes.Tests.State.ScenarioCluster;

namespace Appliance.Nodes.Tests.State;

/// <summary>
/// Scenarios no upstream suite covers, plus the safety guards that our central
/// coordinator adds: fenced positions, bootstrap over existing data, and the rejoin policy.
/// </summary>
[Trait("Category", "Unit")]
public class GapScenarioTests
{
    private static ScenarioCluster ThreePeers(RejoinPolicy rejoin = RejoinPolicy.Manual) =>
        new ScenarioCluster(rejoin: rejoin).Join("node1", settle: false).Join("node2", settle: false).Join("node3");

    [Fact]
    public void Gap_47_DeposedPeerSeesMembershipChanges_StaysDeposed_NeverReAdded()
    {
        var c = ThreePeers();
        c.SetWal("node2", "0/A").Leave("node1").Join("node1");
        var deposedState = c.State!;
        Assert.Equal("g2 P=node2 S=node3 A=[] D=[node1] W=0/A", c.Describe());
        c.Join("node4").Leave("node4").Join("node5");
        Assert.Equal("g2 P=node2 S=node3 A=[node5] D=[node1] W=0/A", c.Describe());
        Assert.Equal(PeerRole.Deposed, c.RoleOf("node1").Role);
        Assert.Equal(deposedState.Generation, c.State!.Generation);
    }

    [Fact]
    public void Gap_48_ConcurrentGenerationWrites_BothClaimTheSameVersion_SoTheJournalAdmitsOne()
    {
        var state = StateOf(1, "node1", "node2", ["node3"], version: 7);
        Observation Seen(params string[] members) => new(members);
        var primarySide = ClusterRules.Evaluate(state, Seen("node1", "node3").Fenced("node1", "0/10", new WalFence.NameSync("node3")));
        var syncSide = ClusterRules.Evaluate(state, Seen("node2", "node3").Fenced("node2", "0/10", WalFence.StopReceivingWal));
        var a = Assert.IsType<Transition>(primarySide);
        var b = Assert.IsType<Transition>(syncSide);
        Assert.Equal(TransitionReason.SyncReplaced, a.Reason);
        Assert.Equal(TransitionReason.SyncTakeover, b.Reason);
        // Both are version 8: the journal's unique (persistence id, sequence number) lets exactly one through.
        Assert.Equal(8, a.Next.Version);
        Assert.Equal(a.Next.Version, b.Next.Version);
        Assert.Equal(a.Next.Generation, b.Next.Generation);

        // The loser re-evaluates against the winner's state: the old primary is deposed there, never primary again.
        var after = ClusterRules.Evaluate(b.Next, Seen("node1", "node2", "node3"));
        Assert.IsNotType<Transition>(after);
        Assert.Equal(PeerRole.Deposed, b.Next.RoleOf("node1").Role);
    }

    [Fact]
    public void Gap_49_FailedWriteIsRetriedAsTheSameTransition_NoDoubleGeneration()
    {
        var state = StateOf(3, "node1", "node2", ["node3"], version: 5);
        var observation = new Observation("node1", "node3").Fenced("node1", "0/20", new WalFence.NameSync("node3"));
        var first = Assert.IsType<Transition>(ClusterRules.Evaluate(state, observation));
        var retry = Assert.IsType<Transition>(ClusterRules.Evaluate(state, observation));
        Assert.Equal(first, retry);
        Assert.Equal(4, retry.Next.Generation);
    }

    [Fact]
    public void Gap_50_LaggingSyncThatIsPresent_IsNotReplaced()
    {
        // Catch-up timeouts are the driver's to report; as long as the sync is a member the rules keep it, so a slow
        // sync never costs a generation (and the primary stays read-only until it catches up).
        var c = ThreePeers().SetWal("node1", "0/FFFF").SetWal("node2", "0/1").Settle();
        Assert.Equal("g1 P=node1 S=node2 A=[node3] D=[] W=0/0", c.Describe());
        Assert.IsType<NoChange>(c.LastRest);
    }

    [Fact]
    public void Gap_51_ReplacedSyncReturnsAsAsync_WithoutRebuild()
    {
        var c = ThreePeers();
        c.SetWal("node1", "0/A").Leave("node2");
        Assert.Equal("g2 P=node1 S=node3 A=[] D=[] W=0/A", c.Describe());
        c.Join("node2");
        Assert.Equal("g2 P=node1 S=node3 A=[node2] D=[] W=0/A", c.Describe());
        Assert.False(c.State!.IsDeposed("node2"));
    }

    [Fact]
    public void Gap_52_PrimaryAndSyncLostTogether_AsyncsAliveButNoAutomaticProgress()
    {
        var c = new ScenarioCluster().Join("node1", settle: false).Join("node2", settle: false)
            .Join("node3", settle: false).Join("node4");
        var before = c.State;
        c.SetWal("node3", "0/FF").Leave("node1", settle: false).Leave("node2");
        Assert.Same(before, c.State);
        var refusal = Assert.IsType<Refusal>(c.LastRest);
        Assert.Equal(RefusalReason.PrimaryAndSyncLost, refusal.Reason);
        Assert.Contains("node1", refusal.Detail);
        Assert.Contains("node2", refusal.Detail);
        c.Join("node2");   // the sync returns: it can take over
        Assert.Equal("g2 P=node2 S=node3 A=[node4] D=[node1] W=0/0", c.Describe());
    }

    [Theory]
    [InlineData("node2", "node3")]
    [InlineData("node3", "node2")]
    public void Gap_53_SingletonUpgrade_PicksTheFirstPeerInJoinOrder(string first, string second)
    {
        var c = new ScenarioCluster().Join("node1", settle: false).Join(first, settle: false).Join(second, settle: false)
            .SetState(StateOf(1, "node1", null, singleton: true));
        Assert.Equal($"g2 P=node1 S={first} A=[{second}] D=[] W=0/0", c.Describe());
    }

    [Fact]
    public void Gap_56_RebuildAndReap_CleanTheDeposedList()
    {
        var c = ThreePeers();
        c.SetWal("node2", "0/A").Leave("node1");
        c.SetWal("node3", "0/B").Leave("node2").Join("node4");
        Assert.Equal("g3 P=node3 S=node4 A=[] D=[node1,node2] W=0/B", c.Describe());

        c.Join("node1");
        Assert.Equal(RefusalReason.PeerStillPresent, Assert.IsType<Refusal>(c.Command(new OperatorCommand.Reap("node1"))).Reason);
        Assert.Equal(TransitionReason.Rebuilt, Assert.IsType<Transition>(c.Command(new OperatorCommand.Rebuild("node1"))).Reason);
        Assert.Equal("g3 P=node3 S=node4 A=[node1] D=[node2] W=0/B", c.Describe());

        Assert.Equal(TransitionReason.Reaped, Assert.IsType<Transition>(c.Command(new OperatorCommand.Reap("node2"))).Reason);
        Assert.Equal("g3 P=node3 S=node4 A=[node1] D=[] W=0/B", c.Describe());
        Assert.Equal(RefusalReason.UnknownPeer, Assert.IsType<Refusal>(c.Command(new OperatorCommand.Reap("node2"))).Reason);
        Assert.Equal(RefusalReason.NotDeposed, Assert.IsType<Refusal>(c.Command(new OperatorCommand.Rebuild("node1"))).Reason);
    }

    [Fact]
    public void Takeover_NeedsTheSyncsPositionReadBehindAStoppedReceiver_AReportNeverSuffices()
    {
        var state = StateOf(2, "node1", "node2", ["node3"], initWal: "0/100");
        var observation = new Observation("node2", "node3").WithReport("node2", "0/FFFF");
        var refusal = Assert.IsType<Refusal>(ClusterRules.Evaluate(state, observation));
        Assert.Equal(RefusalReason.NeedsFencedPosition, refusal.Reason);
        Assert.Equal(new PositionProbe("node2", WalFence.StopReceivingWal), refusal.Probe);

        // A position read without the fence (here: behind the wrong one) is not enough either.
        var unfenced = ClusterRules.Evaluate(state, observation.Fenced("node2", "0/FFFF", new WalFence.NameSync("node3")));
        Assert.Equal(RefusalReason.NeedsFencedPosition, Assert.IsType<Refusal>(unfenced).Reason);

        // The report claimed 0/FFFF; read now, the sync is at 0/FF, short of initWal.
        var behind = ClusterRules.Evaluate(state, observation.Fenced("node2", "0/FF", WalFence.StopReceivingWal));
        Assert.Equal(RefusalReason.NotCaughtUp, Assert.IsType<Refusal>(behind).Reason);
        var caughtUp = ClusterRules.Evaluate(state, observation.Fenced("node2", "0/100", WalFence.StopReceivingWal));
        Assert.Equal(Lsn.Parse("0/100"), Assert.IsType<Transition>(caughtUp).Next.InitWal);
    }

    [Fact]
    public void Takeover_CountsWalReceivedInsideAPartialRecord_AndDeclaresTheGenerationWhereThePromotionForks()
    {
        // initWal 0/100 lies inside a record the old primary had flushed only in part (it flushes by page and segment).
        // The sync replayed to 0/F0, where that record starts, and received to 0/120: every acknowledged commit ends at
        // or below 0/100 and is whole, so the sync holds it.
        var state = StateOf(2, "node1", "node2", ["node3"], initWal: "0/100");
        var observation = new Observation("node2", "node3");

        var takeover = Assert.IsType<Transition>(ClusterRules.Evaluate(state, observation.Fenced("node2", "0/F0", WalFence.StopReceivingWal, received: "0/120")));

        // Declared where the promotion forks (the end of the last whole record), not where reception stopped: the new
        // primary's own history must hold initWal, or every later move is refused as off the generation's history.
        Assert.Equal(Lsn.Parse("0/F0"), takeover.Next.InitWal);
        var refused = ClusterRules.Evaluate(state, observation.Fenced("node2", "0/F0", WalFence.StopReceivingWal, received: "0/FF"));
        Assert.Equal(RefusalReason.NotCaughtUp, Assert.IsType<Refusal>(refused).Reason);
    }

    [Fact]
    public void SyncReplacement_NeedsThePrimarysPositionReadAfterItNamedTheNewSync()
    {
        var state = StateOf(2, "node1", "node2", ["node3", "node4"], initWal: "0/100");
        var observation = new Observation("node1", "node3", "node4").WithReport("node1", "0/500");
        var refusal = Assert.IsType<Refusal>(ClusterRules.Evaluate(state, observation));
        Assert.Equal(RefusalReason.NeedsFencedPosition, refusal.Reason);
        Assert.Equal(new PositionProbe("node1", new WalFence.NameSync("node3")), refusal.Probe);

        // Read while naming another peer: that fence does not cover the sync the rules chose.
        var wrongFence = ClusterRules.Evaluate(state, observation.Fenced("node1", "0/600", new WalFence.NameSync("node4")));
        Assert.Equal(RefusalReason.NeedsFencedPosition, Assert.IsType<Refusal>(wrongFence).Reason);

        var replaced = Assert.IsType<Transition>(ClusterRules.Evaluate(state, observation.Fenced("node1", "0/600", new WalFence.NameSync("node3"))));
        Assert.Equal("g3 P=node1 S=node3 A=[node4] D=[] W=0/600", replaced.Next.ToShortString());
    }

    [Fact]
    public void EveryGenerationChange_AsksForTheFenceThatMatchesIt()
    {
        var c = ThreePeers();
        c.SetWal("node1", "0/A").Leave("node2");                   // sync replaced: primary names node3 first
        Assert.Equal(new PositionProbe("node1", new WalFence.NameSync("node3")), c.Probes[^1]);
        c.Join("node2");
        c.SetWal("node3", "0/A").Leave("node1");                   // takeover: node3 stops receiving first
        Assert.Equal(new PositionProbe("node3", WalFence.StopReceivingWal), c.Probes[^1]);
        Assert.Equal("g3 P=node3 S=node2 A=[] D=[node1] W=0/A", c.Describe());
        Assert.Equal(2, c.Probes.Count);
    }

    [Fact]
    public void NewSyncChoice_PrefersRunningAsyncsInChainOrder_ThenNewcomers_ThenAilingAsyncs()
    {
        var c = new ScenarioCluster();
        foreach (var id in new[] { "node1", "node2", "node3", "node4" }) c.Join(id, settle: false);
        c.Settle().PostgresDown("node3").Join("node5", settle: false).Leave("node2");
        // node3 (async[0]) reported PostgreSQL down, so the running node4 becomes the sync.
        Assert.StartsWith("g2 P=node1 S=node4 A=[node3,node5]", c.Describe());
    }

    [Fact]
    public void InitialSetup_RefusesToBootstrapOverExistingData()
    {
        var c = new ScenarioCluster().Join("node1", settle: false).HasData("node2").Join("node2");
        Assert.Null(c.State);
        var refusal = Assert.IsType<Refusal>(c.LastRest);
        Assert.Equal(RefusalReason.ExistingData, refusal.Reason);
        Assert.Contains("node2", refusal.Detail);
    }

    [Fact]
    public void InitialSetup_WaitsForEveryMembersFirstReport()
    {
        var c = new ScenarioCluster().Join("node1", settle: false).Unreported("node2").Join("node2");
        Assert.Null(c.State);
        Assert.Equal(RefusalReason.AwaitingReports, Assert.IsType<Refusal>(c.LastRest).Reason);
        c.Reported("node2");
        Assert.Equal("g1 P=node1 S=node2 A=[] D=[] W=0/0", c.Describe());
    }

    [Fact]
    public void SingletonConfiguredButClusterNormal_IsRefusedAsModeMismatch()
    {
        var c = ThreePeers();
        c.Mode = ClusterMode.Singleton;
        c.Leave("node2");
        Assert.Equal(RefusalReason.ModeMismatch, Assert.IsType<Refusal>(c.LastRest).Reason);
        Assert.Equal(1, c.State!.Generation);
    }

    [Fact]
    public void RejoinAuto_DeposedPeerThatRewoundJoinsTheAsyncTail()
    {
        var c = ThreePeers(RejoinPolicy.Auto);
        c.SetWal("node2", "0/A").Leave("node1").Join("node4").Join("node1");
        Assert.Equal("g2 P=node2 S=node3 A=[node4] D=[node1] W=0/A", c.Describe());
        c.ReadyToRejoin("node1");
        Assert.Equal("g2 P=node2 S=node3 A=[node4,node1] D=[] W=0/A", c.Describe());
        Assert.Equal(TransitionReason.Rejoined, c.History[^1].Reason);
    }

    [Fact]
    public void RejoinManual_DeposedPeerWaitsForTheOperatorEvenWhenReady()
    {
        var c = ThreePeers(RejoinPolicy.Manual);
        c.SetWal("node2", "0/A").Leave("node1").Join("node1").ReadyToRejoin("node1");
        Assert.Equal("g2 P=node2 S=node3 A=[] D=[node1] W=0/A", c.Describe());
        Assert.IsType<NoChange>(c.LastRest);
    }

    [Fact]
    public void RejoinAuto_NotBeforeThePeerSaysItHasRewound()
    {
        var c = ThreePeers(RejoinPolicy.Auto);
        c.SetWal("node2", "0/A").Leave("node1").Join("node1");
        Assert.Equal("g2 P=node2 S=node3 A=[] D=[node1] W=0/A", c.Describe());
    }

    [Fact]
    public void Evaluate_RejectsAnObservationThatListsAMemberTwice()
    {
        var observation = new ClusterObservation { Members = [Peer("node1"), Peer("node1")] };
        var error = Assert.Throws<ArgumentException>(() => ClusterRules.Evaluate(null, observation));
        Assert.Contains("node1", error.Message);
    }

    /// <summary>A terse builder for observations in direct calls to the rules.</summary>
    private sealed record Observation(params string[] MemberIds)
    {
        private ImmutableDictionary<string, PeerReport> Reports { get; init; } = ImmutableDictionary<string, PeerReport>.Empty;
        private ImmutableDictionary<string, FencedPosition> Positions { get; init; } = ImmutableDictionary<string, FencedPosition>.Empty;

        public Observation WithReport(string id, string wal) => this with { Reports = Reports.SetItem(id, new PeerReport(true, Lsn.Parse(wal), History: TimelineHistory.First)) };

        public Observation Fenced(string id, string lsn, WalFence fence, string? received = null) =>
            this with
            {
                Positions = Positions.SetItem(id,
                    new FencedPosition(Lsn.Parse(lsn), fence, TimelineHistory.First, received is null ? null : Lsn.Parse(received))),
            };

        public static implicit operator ClusterObservation(Observation o) => new()
        {
            Members = [.. o.MemberIds.Select(Peer)],
            Reports = o.Reports,
            FencedPositions = o.Positions,
            Now = Now,
        };
    }
}
