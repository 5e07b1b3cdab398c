using Appliance.Nodes.State;

namespace Appliance.Actors.Protocol;

/// <summary>Publishing and reading the authoritative cluster state.</summary>
public static class ClusterStateProtocol
{
    /// <summary>The distributed pub-sub topic that carries every new state.</summary>
    public const string Topic = "appliance.state";

    /// <summary>
    /// A new authoritative state, published on <see cref="Topic"/> and sent to every database node. Receivers keep the
    /// newest version they have seen and ignore older ones, since pub-sub delivers at most once and in no global order.
    /// </summary>
    /// <param name="Version">The state's version (its journal sequence number).</param>
    /// <param name="State">The state.</param>
    /// <param name="Coordinator">The incarnation of the coordinator that publishes it, for the node's log.</param>
    public sealed record StateChanged(long Version, ClusterState State, string? Coordinator = null) : IApplianceMessage;

    /// <summary>Ask the coordinator for the current state; it answers <see cref="CurrentState"/>.</summary>
    public sealed record GetState : IApplianceMessage
    {
        /// <summary>The one instance.</summary>
        public static readonly GetState Instance = new();
    }

    /// <summary>The coordinator's current state, or null before the cluster was set up.</summary>
    /// <param name="State">The state.</param>
    /// <param name="LastRefusal">Why the coordinator is not changing the state although something is wrong, if so.</param>
    /// <param name="PrimaryWal">The newest WAL position the state's primary reported to this coordinator, if it reported
    /// at all; kept after the primary stops reporting, so that replicas' lag can still be measured while it is down.</param>
    /// <param name="PeerTags">The tags (<c>--tag</c>) each present peer's node reported, by peer id; peers without tags are left out.</param>
    /// <param name="CoordinatorPeers">The peers whose node runs in the coordinator's own host process (empty before that
    /// node reported; null from a coordinator of a version without the field).</param>
    public sealed record CurrentState(ClusterState? State, Refusal? LastRefusal, Lsn? PrimaryWal = null,
        IReadOnlyDictionary<string, IReadOnlyList<string>>? PeerTags = null, IReadOnlyList<string>? CoordinatorPeers = null) : IApplianceMessage;

    /// <summary>
    /// Ask the coordinator for the states it wrote after version <paramref name="Since"/> (all when null), oldest first;
    /// it answers <see cref="History"/>, one page: at most <paramref name="Limit"/> entries, and never more than fit
    /// well inside Akka's frame size. <see cref="History.More"/> says whether to ask again from the page's last version.
    /// </summary>
    /// <param name="Since">Only versions above this one.</param>
    /// <param name="Limit">At most this many entries.</param>
    public sealed record GetHistory(long? Since = null, int? Limit = null) : IApplianceMessage
    {
        /// <summary>The first page of the whole history.</summary>
        public static readonly GetHistory Instance = new();
    }

    /// <summary>One write of the cluster state, as persisted.</summary>
    /// <param name="State">The state written.</param>
    /// <param name="Reason">Why.</param>
    /// <param name="Detail">A sentence for operators.</param>
    /// <param name="At">When the coordinator wrote it.</param>
    public sealed record StateRecorded(ClusterState State, TransitionReason Reason, string Detail, DateTimeOffset At) : IApplianceMessage;

    /// <summary>One page of the states written, oldest first.</summary>
    /// <param name="Entries">The writes.</param>
    /// <param name="More">True when the journal holds more after the last entry (ask again with its version as <see cref="GetHistory.Since"/>).</param>
    public sealed record History(IReadOnlyList<StateRecorded> Entries, bool More = false) : IApplianceMessage;
}
