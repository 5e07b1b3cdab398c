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
        var (coordinator, n2) = FailOverFromN1ToN2();
        Assert.True(_metrics.JournalWrite.Count >= 2, $"journal writes timed: {_metrics.JournalWrite.Count}");
        Assert.True(_metrics.Evaluation.Count >= 1, $"rounds timed: {_metrics.Evaluation.Count}");
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

    [Fact]
    public void A_measured_outage_is_persisted_under_its_own_id_and_served_after_the_coordinator_restarts()
    {
        var (coordinator, n2) = FailOverFromN1ToN2();
        ReportPrimary(coordinator, n2, appliedVersion: 3, readWrite: true);

        var expected = new WriteOutageProtocol.Measured(3, WriteOutageKind.Failover, Clock.Now.AddSeconds(-4), Clock.Now, WriteOutageStart.LastReport);
        AwaitAssert(() =>
        {
            coordinator.Tell(new WriteOutageProtocol.GetOutages(), TestActor);
            var page = ExpectMsg<WriteOutageProtocol.Outages>();
            Assert.Equal([expected], page.Entries);
            Assert.Equal(1, page.Through);
            Assert.False(page.More);
        }, TimeSpan.FromSeconds(10));

        Watch(coordinator);
        Sys.Stop(coordinator);
        ExpectTerminated(coordinator);
        var restarted = StartCoordinator(Settings() with { Metrics = _metrics }, "restarted");
        // The state journal is untouched: the restarted coordinator recovers version 3 at sequence number 3.
        Assert.Equal(3, CurrentState(restarted).State!.Version);
        restarted.Tell(new WriteOutageProtocol.GetOutages(), TestActor);
        Assert.Equal([expected], ExpectMsg<WriteOutageProtocol.Outages>().Entries);
        restarted.Tell(new WriteOutageProtocol.GetOutages(1), TestActor);
        var after = ExpectMsg<WriteOutageProtocol.Outages>();
        Assert.Empty(after.Entries);
        Assert.Equal(1, after.Through);
    }

    /// <summary>A three-node cluster whose primary n1 departs 3 s after its last report; n2 takes over (v3) 1 s before the clock's now.</summary>
    private (Akka.Actor.IActorRef Coordinator, NodeProbe N2) FailOverFromN1ToN2()
    {
        var coordinator = StartCoordinator(Settings() with { Metrics = _metrics });
        var (n1, n2, _) = ThreeNodeCluster(coordinator);
        Clock.Advance(TimeSpan.FromSeconds(3));
        n1.Depart();
        n2.AnswerFence(WalFence.StopReceivingWal, "0/5000");
        ExpectPublished(3);
        Clock.Advance(TimeSpan.FromSeconds(1));
        return (coordinator, n2);
    }

    private static void ReportPrimary(Akka.Actor.IActorRef coordinator, NodeProbe node, long appliedVersion, bool readWrite) =>
        node.Probe.Send(coordinator, new NodeProtocol.StatusReport(node.Peer,
            new PeerReport(true, Lsn.Parse("0/5000"), History: TimelineHistory.First), appliedVersion, PeerRole.Primary, readWrite));
}
