namespace Appliance.Nodes.State;

/// <summary>A request from an operator that the rules accept (as a transition) or refuse with a reason.</summary>
/// <remarks>
/// Commands may carry the generation the operator saw (<see cref="ExpectedGeneration"/>); a command issued against
/// an older generation is refused rather than applied to a cluster the operator has not looked at.
/// </remarks>
public abstract record OperatorCommand
{
    private OperatorCommand() { }

    /// <summary>If set, the command applies only while the cluster is at this generation.</summary>
    public long? ExpectedGeneration { get; init; }

    /// <summary>Stop all generation changes (takeover, sync replacement, singleton upgrade) until unfrozen.</summary>
    /// <param name="Reason">Shown in status and history.</param>
    public sealed record Freeze(string Reason) : OperatorCommand;

    /// <summary>Lift a freeze.</summary>
    public sealed record Unfreeze : OperatorCommand;

    /// <summary>
    /// Planned change of roles, after Manatee's <c>promote</c>: with no target or the sync as target, the sync becomes
    /// primary and the old primary is deposed; with async[0] as target it replaces the sync, which goes to the head of
    /// the chain; with a later async, that async swaps places with the one above it.
    /// </summary>
    /// <param name="To">The peer to move up, or null for the sync.</param>
    public sealed record Switchover(string? To = null) : OperatorCommand;

    /// <summary>Let a deposed peer serve again after its data is rebuilt from a replica: it leaves the deposed list.</summary>
    /// <param name="PeerId">The deposed peer.</param>
    public sealed record Rebuild(string PeerId) : OperatorCommand;

    /// <summary>Forget a deposed peer that is gone for good.</summary>
    /// <param name="PeerId">The deposed peer; it must not be a cluster member.</param>
    public sealed record Reap(string PeerId) : OperatorCommand;

    /// <summary>
    /// Placement mode: run <paramref name="Instances"/> instances. Growing adds asyncs at the tail as the new instances
    /// start; shrinking takes the instances above the new size out of the async chain at once (their hosts then stop
    /// them). Never below 3 (1 in singleton mode) unless forced, and never an instance that is primary or sync.
    /// </summary>
    /// <param name="Instances">The new number of instances.</param>
    /// <param name="Force">Allow going below the minimum.</param>
    public sealed record Scale(int Instances, bool Force = false) : OperatorCommand;

    /// <summary>
    /// Put a peer in maintenance (or take it out): while on, the rules treat it as gone and its node leaves PostgreSQL
    /// alone. Refused for the primary, the sync and deposed peers.
    /// </summary>
    /// <param name="PeerId">The peer.</param>
    /// <param name="On">True to start maintenance, false to end it.</param>
    public sealed record Maintenance(string PeerId, bool On) : OperatorCommand;

    /// <summary>
    /// With primary and sync both lost, make <paramref name="To"/> the primary and accept losing what it lacks. Refused
    /// without <paramref name="AcceptDataLoss"/>, and while the primary or the sync is present.
    /// </summary>
    /// <param name="To">The peer to promote.</param>
    /// <param name="AcceptDataLoss">The operator accepts losing acknowledged writes.</param>
    public sealed record Failover(string To, bool AcceptDataLoss) : OperatorCommand;

    /// <summary>Schedule a switchover (as <see cref="Switchover"/>) for <paramref name="At"/>, kept in the cluster state.</summary>
    /// <param name="At">When it is due.</param>
    /// <param name="To">The peer to move up, or null for the sync.</param>
    public sealed record ScheduleSwitchover(DateTimeOffset At, string? To = null) : OperatorCommand;

    /// <summary>Cancel the scheduled switchover.</summary>
    public sealed record CancelSwitchover : OperatorCommand;

    /// <summary>
    /// Turn a standby cluster (<see cref="ClusterState.StandbyOf"/>) into a normal, writable cluster: its standby leader
    /// stops following the source and is promoted. Decided by <see cref="ClusterPromotion"/>.
    /// </summary>
    public sealed record PromoteCluster : OperatorCommand;

    /// <summary>
    /// Change the cluster-wide PostgreSQL settings (<see cref="ClusterState.Settings"/>): set each of
    /// <paramref name="Set"/> and remove each of <paramref name="Unset"/>. Decided by <see cref="SettingsChange"/>.
    /// </summary>
    /// <param name="Set">Names and values to set.</param>
    /// <param name="Unset">Names to remove (back to the node's default).</param>
    public sealed record Configure(IReadOnlyDictionary<string, string> Set, IReadOnlyList<string> Unset) : OperatorCommand
    {
        /// <summary>Compares the settings by content, not by reference.</summary>
        public bool Equals(Configure? other) =>
            other is not null && ExpectedGeneration == other.ExpectedGeneration && Unset.SequenceEqual(other.Unset)
            && Set.Count == other.Set.Count && Set.All(kv => other.Set.TryGetValue(kv.Key, out var v) && v == kv.Value);

        /// <inheritdoc />
        public override int GetHashCode() => HashCode.Combine(ExpectedGeneration, Set.Count, Unset.Count);
    }
}
