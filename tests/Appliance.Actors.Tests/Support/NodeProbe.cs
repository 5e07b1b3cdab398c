using Akka.Actor;
using Akka.TestKit;
using Appliance.Actors.Protocol;
using Appliance.Nodes.State;

namespace Appliance.Actors.Tests.Support;

/// <summary>
/// A test probe standing in for one database node's actor: it reports to the coordinator and answers fences. It
/// ignores the states sent to it unless asked (<see cref="WithStates"/>), so tests can expect fence messages directly.
/// </summary>
public sealed class NodeProbe
{
    private readonly IActorRef _coordinator;

    /// <param name="probeName">The probe actor's name, when another probe already plays <paramref name="id"/> (a restarted node).</param>
    public NodeProbe(TestKitBase kit, IActorRef coordinator, string id, ActorSystem? system = null, string? probeName = null)
    {
        _coordinator = coordinator;
        Peer = new PeerId(id, "127.0.0.1", 5432);
        Probe = kit.CreateTestProbe(system ?? kit.Sys, probeName ?? id);
        Probe.IgnoreMessages<ClusterStateProtocol.StateChanged>();
    }

    public PeerId Peer { get; }

    public TestProbe Probe { get; }

    public string Id => Peer.Id;

    public NodeProbe WithStates()
    {
        Probe.IgnoreNoMessages();
        return this;
    }

    /// <param name="rewoundOnto">With <paramref name="readyToRejoin"/>: the primary and generation it rewound onto.</param>
    public void Report(bool postgresUp = true, string wal = "0/0", long appliedVersion = 0, bool readyToRejoin = false,
        (string Primary, long Generation)? rewoundOnto = null) =>
        Probe.Send(_coordinator, new NodeProtocol.StatusReport(
            Peer, new PeerReport(postgresUp, Lsn.Parse(wal), ReadyToRejoin: readyToRejoin, History: postgresUp ? TimelineHistory.First : null,
                RewoundOnto: rewoundOnto is { } r ? new RejoinTarget(r.Primary, r.Generation, 1) : null),
            appliedVersion, PeerRole.Unassigned, false));

    /// <summary>Reports a status while holding <paramref name="fence"/> raised by <paramref name="owner"/>.</summary>
    public void ReportFenced(WalFence fence, FenceOwner owner, long appliedVersion) =>
        Probe.Send(_coordinator, new NodeProtocol.StatusReport(
            Peer, new PeerReport(true, Lsn.Zero, History: TimelineHistory.First), appliedVersion, PeerRole.Sync, false, fence, owner));

    public void Depart() => Probe.Send(_coordinator, new Appliance.Actors.Coordinator.NodeDeparted(Id, "test"));

    /// <summary>Expects a request to raise <paramref name="fence"/> and returns its probe id.</summary>
    public long ExpectRaiseFence(WalFence fence)
    {
        var raise = Probe.ExpectMsg<NodeProtocol.RaiseFence>();
        Assert.Equal(fence, raise.Fence);
        return raise.ProbeId;
    }

    /// <summary>Expects a request to raise <paramref name="fence"/> and answers it with <paramref name="position"/>.</summary>
    public void AnswerFence(WalFence fence, string position)
    {
        var probeId = ExpectRaiseFence(fence);
        Probe.Reply(new NodeProtocol.FenceRaised(probeId, Id, Lsn.Parse(position), TimelineHistory.First));
    }

    /// <summary>Answers a request to raise <paramref name="fence"/> with a position but no timeline history, as an older node would.</summary>
    public void AnswerFenceWithoutHistory(WalFence fence, string position)
    {
        var probeId = ExpectRaiseFence(fence);
        Probe.Reply(new NodeProtocol.FenceRaised(probeId, Id, Lsn.Parse(position)));
    }
}
