using Appliance.Actors.Coordinator;
using Appliance.Actors.Protocol;
using Appliance.Actors.Tests.Support;
using Appliance.Nodes.State;
using Xunit.Abstractions;

namespace Appliance.Actors.Tests.Coordinator;

/// <summary>
/// The coordinator's histograms: a failover counts from when it last heard of the lost primary, a switchover from the
/// fence that stops the sync, both until the new primary's node reports it takes writes; rounds and journal writes are
/// timed too. The test clock fixes the gaps' lengths.
/// </summary>
[Trait("Category", "Unit")]
public sealed class WriteGapMetricsSpecs(ITestOutputHelper output) : CoordinatorSpec(output)
{
    private readonly CoordinatorMetrics _metrics = CoordinatorMetrics.Unexported();

    [Fact]
    public void A_failover_lasts_from_the_primarys_last_report_until_the_new_primary_reports_it_takes_writes()
    {
        var coordinator = StartCoordinator(Settings() with { Metrics = _metrics });
        var (n1, n2, _) = ThreeNodeCluster(coordinator);
        Assert.True(_metrics.JournalWrite.Count >= 2, $"journal writes timed: {_metrics.JournalWrite.Count}");
        Assert.True(_metrics.Evaluation.Count >= 1, $"rounds timed: {_metrics.Evaluation.Count}");

        Clock.Advance(TimeSpan.FromSeconds(3));
        n1.Depart();
        n2.AnswerFence(WalFence.StopReceivingWal, "0/5000");
        ExpectPublished(3);
        Clock.Advance(TimeSpan.FromSeconds(1));
        // A report before the node applied the new state, or without writes, ends nothing.
        ReportPrimary(coordinator, n2, appliedVersion: 2, readWrite: false);
        ReportPrimary(coordinator, n2, appliedVersion: 3, readWrite: false);
        ReportPrimary(coordinator, n2, appliedVersion: 3, readWrite: true);

        AwaitAssert(() => Assert.Equal(1, _metrics.Failover.Count));
        Assert.Equal(4.0, _metrics.Failover.Sum, 3);
        Assert.Equal(0, _metrics.SwitchoverWriteGap.Count);
    }

    [Fact]
    public void A_switchover_gap_lasts_from_the_syncs_fence_until_the_new_primary_reports_it_takes_writes()
    {
        var coordinator = StartCoordinator(Settings() with { Metrics = _metrics });
        var (_, n2, _) = ThreeNodeCluster(coordinator);

        coordinator.Tell(new OperatorProtocol.Submit(new OperatorCommand.Switchover()), TestActor);
        n2.AnswerFence(WalFence.StopReceivingWal, "0/4000");
        ExpectMsg<OperatorProtocol.Accepted>();
        Clock.Advance(TimeSpan.FromSeconds(1.5));
        ReportPrimary(coordinator, n2, appliedVersion: 3, readWrite: true);

        AwaitAssert(() => Assert.Equal(1, _metrics.SwitchoverWriteGap.Count));
        Assert.Equal(1.5, _metrics.SwitchoverWriteGap.Sum, 3);
        Assert.Equal(0, _metrics.Failover.Count);
        // Measured once: a later report of the same primary adds nothing.
        ReportPrimary(coordinator, n2, appliedVersion: 3, readWrite: true);
        CurrentState(coordinator);
        Assert.Equal(1, _metrics.SwitchoverWriteGap.Count);
    }

    private static void ReportPrimary(Akka.Actor.IActorRef coordinator, NodeProbe node, long appliedVersion, bool readWrite) =>
        node.Probe.Send(coordinator, new NodeProtocol.StatusReport(node.Peer,
            new PeerReport(true, Lsn.Parse("0/5000"), History: TimelineHistory.First), appliedVersion, PeerRole.Primary, readWrite));
}
