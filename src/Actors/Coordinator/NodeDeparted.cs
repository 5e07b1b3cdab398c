using Appliance.Actors.Protocol;

namespace Appliance.Actors.Coordinator;

/// <summary>
/// Declares a peer's node gone now, without waiting for its report lease to run out or for the cluster to mark its
/// member unreachable. A node that shuts down on purpose sends it; tests use it to make a node vanish. The peer is
/// present again once it reports again (as a newcomer: at the end of the join order).
/// </summary>
/// <remarks>
/// New message, not in <c>Protocol/</c> (which is agreed): it is the only thing a node may say to the coordinator
/// beyond <see cref="NodeProtocol"/>, and nothing depends on a node sending it. Presence never carries safety (the
/// fences do), so a wrong declaration costs at most a needless failover attempt.
/// </remarks>
/// <param name="PeerId">The peer whose node is gone.</param>
/// <param name="Reason">Why, for the log.</param>
public sealed record NodeDeparted(string PeerId, string Reason) : IApplianceMessage;
