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

    public NodeProbe(TestKitBase kit, IActorRef coordinator, string id, ActorSystem? system = null)
    {
        _coordinator = coordinator;
        Peer = new PeerId(id, "127.0.0.1", 5432);
        Probe = kit.CreateTestProbe(system ?? kit.Sys, id);
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

    /// <summary>Reports a status; a node that is up is on timeline 1, and a ready deposed peer rewound onto <paramref name="rewoundOnto"/>.</summary>
    public void Report(bool postgresUp = true, string wal = "0/0", long appliedVersion = 0, bool readyToRejoin = false,
        RejoinTarget? rewoundOnto = null) =>
        Probe.Send(_coordinator, new NodeProtocol.StatusReport(
            Peer, new PeerReport(postgresUp, Lsn.Parse(wal), ReadyToRejoin: readyToRejoin,
                History: postgresUp ? TimelineHistory.First : null, RewoundOnto: readyToRejoin ? rewoundOnto : null),
            appliedVersion, PeerRole.Unassigned, false));

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
}
