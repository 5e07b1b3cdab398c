using System.Collections.Immutable;
using Akka.Actor;
using Akka.Cluster;
using Appliance.Actors.Protocol;
using Appliance.Nodes.State;

namespace Appliance.Actors.Coordinator;

/// <summary>
/// Which peers are present, in join order, with their last reports and node actors: the membership half of a
/// <see cref="ClusterObservation"/>. Owned by the coordinator actor (not thread-safe); no rules in here.
/// </summary>
/// <remarks>
/// A node's <see cref="NodeProtocol.StatusReport"/> says which peer runs at the sender's address. A peer is present while
/// it has reported within the lease and has not departed; with <see cref="MembershipSource.ClusterMembers"/> its
/// address must also belong to an Up, reachable member. Order: the coordinator's own peer last, then by member age
/// (oldest first) when clustered, then by
/// when the peer last became present, so that a peer that comes back joins at the end, as a restarted node would.
/// </remarks>
internal sealed class PeerMembership(MembershipSource source, TimeSpan reportLease, Address? coordinatorAddress = null)
{
    private readonly Dictionary<string, KnownPeer> _peers = [];
    private readonly Dictionary<Address, Member> _upMembers = [];
    private readonly HashSet<UniqueAddress> _unreachable = [];   // by incarnation: a restarted node is a new member
    private readonly HashSet<Address> _removed = [];   // addresses whose member left the cluster, until one is Up there again
    private long _arrivals;

    /// <summary>The node actor of every peer that ever reported, present or not.</summary>
    public IEnumerable<IActorRef> Nodes => _peers.Values.Select(p => p.Node);

    /// <summary>
    /// The node actor of every peer that ever reported, except those whose member has been removed from the cluster: the
    /// receivers of the lease heartbeat. A removed member's process has stopped or is stopping (it exits with the downed
    /// code), so its actor reference is dead for good, and telling it twice a second only keeps remoting trying to reach
    /// a quarantined address. A node restarted at that address is Up again before its first report.
    /// </summary>
    public IEnumerable<IActorRef> LiveNodes => _peers.Values.Where(p => !_removed.Contains(p.Address)).Select(p => p.Node);

    /// <summary>The node actor of <paramref name="peerId"/>, if it has reported.</summary>
    public IActorRef? NodeOf(string peerId) => _peers.GetValueOrDefault(peerId)?.Node;

    /// <summary>The present peers, oldest first.</summary>
    public ImmutableArray<PeerId> Members(DateTimeOffset now) => [.. Present(now).Select(p => p.Peer)];

    /// <summary>The last report of each present peer.</summary>
    public ImmutableDictionary<string, PeerReport> Reports(DateTimeOffset now) =>
        Present(now).ToImmutableDictionary(p => p.Peer.Id, p => p.Report);

    /// <summary>The last report of each peer that reported once and is no longer present, with when it came.</summary>
    public ImmutableDictionary<string, LastSeen> Absent(DateTimeOffset now)
    {
        var present = Present(now).Select(p => p.Peer.Id).ToHashSet();
        return _peers.Values.Where(p => !present.Contains(p.Peer.Id))
            .ToImmutableDictionary(p => p.Peer.Id, p => new LastSeen(p.Report, p.ReportedAt));
    }

    /// <summary>Since when each present peer whose last report says PostgreSQL is down has said so without a break.</summary>
    public ImmutableDictionary<string, DateTimeOffset> PostgresDownSince(DateTimeOffset now) =>
        Present(now).Where(p => p.DownSince is not null).ToImmutableDictionary(p => p.Peer.Id, p => p.DownSince!.Value);

    /// <summary>The present peers whose node runs in the coordinator's own process; empty when that is unknown.</summary>
    public ImmutableHashSet<string> PeersWithCoordinator(DateTimeOffset now) =>
        coordinatorAddress is null ? [] : [.. Present(now).Where(p => p.Address.Equals(coordinatorAddress)).Select(p => p.Peer.Id)];

    /// <summary>Takes a report; true if presence, order or a present peer's report changed.</summary>
    public bool Record(NodeProtocol.StatusReport report, IActorRef node, Address address, DateTimeOffset now) =>
        Changes(now, () =>
        {
            var known = _peers.GetValueOrDefault(report.Peer.Id);
            var returning = known is null || known.Departed || !WithinLease(known, now);
            // Down since the first report of an unbroken run of "down" reports from this presence.
            var downSince = report.Report.PostgresUp ? (DateTimeOffset?)null : (returning ? null : known!.DownSince) ?? now;
            _peers[report.Peer.Id] = new KnownPeer(
                report.Peer, node, address, report.Report, now,
                returning ? ++_arrivals : known!.Arrival, Departed: false, downSince);
        });

    /// <summary>Marks a peer gone until it reports again; true if that changed presence.</summary>
    public bool Depart(string peerId, DateTimeOffset now) =>
        Changes(now, () =>
        {
            if (_peers.TryGetValue(peerId, out var known)) _peers[peerId] = known with { Departed = true };
        });

    /// <summary>Takes a cluster member event: Up members count, any other status does not.</summary>
    public bool MemberChanged(Member member, DateTimeOffset now) =>
        Changes(now, () =>
        {
            if (member.Status == MemberStatus.Up)
            {
                _upMembers[member.Address] = member;
                _removed.Remove(member.Address);
            }
            else if (_upMembers.TryGetValue(member.Address, out var known) && known.UniqueAddress.Equals(member.UniqueAddress))
                _upMembers.Remove(member.Address);   // an event of an older incarnation must not remove the new one
            if (member.Status == MemberStatus.Removed)
            {
                _unreachable.Remove(member.UniqueAddress);   // no Reachable event follows a removal
                if (!_upMembers.ContainsKey(member.Address)) _removed.Add(member.Address);   // not if a new incarnation is Up there
            }
        });

    /// <summary>Takes a reachability event; an unreachable member's peers are absent at once.</summary>
    public bool ReachabilityChanged(Member member, bool reachable, DateTimeOffset now) =>
        Changes(now, () =>
        {
            if (reachable) _unreachable.Remove(member.UniqueAddress);
            else _unreachable.Add(member.UniqueAddress);
        });

    /// <summary>The cluster role of members that run no database (applications using the client library).</summary>
    public const string ClientRole = ClusterTopology.ClientRole;

    /// <summary>
    /// True while an Up, reachable database member has not reported yet. A coordinator that has just started (a cold
    /// start, or a hand-over) waits for them, up to a grace period, before it counts a peer absent: otherwise a primary
    /// whose node is merely slower to report than its sync's would be replaced for nothing. A crashed member is not
    /// Up, so a failover never waits for it.
    /// </summary>
    public bool AwaitingFirstReports()
    {
        if (source != MembershipSource.ClusterMembers) return false;
        var reported = _peers.Values.Select(p => p.Address).ToHashSet();
        return _upMembers.Values.Any(m => !m.HasRole(ClientRole) && !_unreachable.Contains(m.UniqueAddress) && !reported.Contains(m.Address));
    }

    private IEnumerable<KnownPeer> Present(DateTimeOffset now)
    {
        var present = _peers.Values.Where(p => !p.Departed && WithinLease(p, now));
        if (source == MembershipSource.ReportLease)
            return present.OrderBy(p => p.Arrival);
        return present
            .Where(p => _upMembers.TryGetValue(p.Address, out var member) && !_unreachable.Contains(member.UniqueAddress))
            // The coordinator's own peer goes last, so that initial setup (first = primary, second = sync) keeps the
            // coordinator's host off the write path: a crash of the primary's host then never also costs the
            // coordinator's hand-over (docs/ARCHITECTURE.md §11).
            .OrderBy(p => p.Address.Equals(coordinatorAddress) ? 1 : 0)
            .ThenBy(p => _upMembers[p.Address], Member.AgeOrdering)
            .ThenBy(p => p.Arrival);
    }

    private bool WithinLease(KnownPeer peer, DateTimeOffset now) => now - peer.ReportedAt <= reportLease;

    private bool Changes(DateTimeOffset now, Action change)
    {
        var before = Present(now).Select(p => (p.Peer, p.Report)).ToList();
        change();
        return !before.SequenceEqual(Present(now).Select(p => (p.Peer, p.Report)));
    }

    private sealed record KnownPeer(
        PeerId Peer, IActorRef Node, Address Address, PeerReport Report, DateTimeOffset ReportedAt, long Arrival, bool Departed,
        DateTimeOffset? DownSince = null);
}
