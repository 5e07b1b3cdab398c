namespace Appliance.Actors.Coordinator;

/// <summary>How the coordinator decides which peers are present.</summary>
internal enum MembershipSource
{
    /// <summary>
    /// Production. A peer is present while its node's Akka member is Up and reachable, it has reported within the
    /// report lease, and it has not departed. An unreachable member counts as absent at once: safety never rests on
    /// presence (a generation change always reads its position behind a fence), so acting early costs nothing unsafe.
    /// Peers are ordered by their members' age, oldest first.
    /// </summary>
    ClusterMembers,

    /// <summary>
    /// For single-system tests and tools without a cluster: a peer is present while it has reported within the
    /// report lease and has not departed (<see cref="NodeDeparted"/>). Peers are ordered by when they became present.
    /// </summary>
    ReportLease,
}
