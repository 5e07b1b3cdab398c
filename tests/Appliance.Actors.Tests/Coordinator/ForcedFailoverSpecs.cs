using Appliance.Actors.Tests.Support;
using Appliance.Nodes.State;
using Xunit.Abstractions;

namespace Appliance.Actors.Tests.Coordinator;

/// <summary>
/// The coordinator's part of a forced failover: it tells the rules what it last knew of the lost primary and sync
/// (their last reports and when they came) and the hold-down, fences the chosen peer, and records what was given up.
/// </summary>
[Trait("Category", "Unit")]
public sealed class ForcedFailoverSpecs(ITestOutputHelper output) : CoordinatorSpec(output)
{
    [Fact]
    public void A_forced_failover_waits_out_the_hold_down_since_the_lost_peers_last_reports_and_records_their_positions()
    {
        var coordinator = StartCoordinator(Settings() with { ForcedFailoverHoldDown = TimeSpan.FromSeconds(5) });
        var nodes = new[] { "n1", "n2", "n3", "n4", "n5" }.Select(id => Node(coordinator, id)).ToList();
        nodes[0].Report(wal: "0/3000");
        nodes[1].Report(wal: "0/2F00");
        ExpectPublished(1);
        for (var i = 2; i < 5; i++)
        {
            nodes[i].Report(wal: "0/2000");
            ExpectPublished(i);
        }
        Assert.Equal("g1 P=n1 S=n2 A=[n3,n4,n5] D=[] W=0/0", CurrentState(coordinator).State!.ToShortString());

        nodes[0].Depart();
        nodes[1].Depart();
        // The first departure starts a takeover (or a sync replacement) whose fence the departed peer never answers:
        // the round ends at the probe timeout (3 s), and the next one finds both gone.
        AwaitAssert(() => Assert.Equal(RefusalReason.PrimaryAndSyncLost, CurrentState(coordinator).LastRefusal?.Reason),
            TimeSpan.FromSeconds(20), TimeSpan.FromMilliseconds(200));

        ExpectRefused(coordinator, new OperatorCommand.Failover("n3", AcceptDataLoss: false), RefusalReason.DataLossNotAccepted);
        ExpectRefused(coordinator, new OperatorCommand.Failover("n3", AcceptDataLoss: true), RefusalReason.LostTooRecently);

        Clock.Advance(TimeSpan.FromSeconds(6));
        coordinator.Tell(new Appliance.Actors.Protocol.OperatorProtocol.Submit(new OperatorCommand.Failover("n3", AcceptDataLoss: true)), TestActor);
        nodes[2].AnswerFence(WalFence.StopReceivingWal, "0/2000");
        var accepted = ExpectMsg<Appliance.Actors.Protocol.OperatorProtocol.Accepted>();
        Assert.Equal(TransitionReason.ForcedFailover, accepted.Recorded.Reason);
        Assert.Equal("g2 P=n3 S=n4 A=[n5] D=[n1,n2] W=0/2000", accepted.Recorded.State.ToShortString());
        Assert.Contains("primary n1 last reported 0/3000 on timeline 1 (4096 bytes past 0/2000)", accepted.Recorded.Detail);
        Assert.Contains("sync n2 last reported 0/2F00 on timeline 1 (3840 bytes past 0/2000)", accepted.Recorded.Detail);
        ExpectPublished(5);
    }
}
