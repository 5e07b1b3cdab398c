namespace Appliance.Nodes.State;

/// <summary>
/// What the rules do in a standby cluster (<see cref="ClusterState.StandbyOf"/>): its state's primary is the standby
/// leader, which streams from the other cluster and is promoted only by <c>promote-cluster</c> (<see cref="ClusterPromotion"/>).
/// A lost leader or sync is replaced without a promotion (<see cref="StandbyFailover"/>), and the async chain is kept
/// up to date.
/// </summary>
/// <remarks>
/// The rules that promote a peer or name a sync behind a fence (<see cref="WalFence"/>) do not apply: a sync that took
/// over by a promotion would take writes beside the source's primary, and a standby cannot read
/// <c>pg_current_wal_flush_lsn()</c>. So the commands that would promote a peer are refused with
/// <see cref="RefusalReason.StandbyCluster"/>. Nor is a peer deposed or rejoined here: none was ever promoted.
/// </remarks>
internal static class StandbyClusterRules
{
    public static Decision Decide(RuleContext ctx)
    {
        var state = ctx.State;
        if (!ctx.IsPresent(state.Primary)) return StandbyFailover.WhenLeaderGone(ctx);
        if (!ctx.IsPresent(state.Sync!))
        {
            var replaced = StandbyFailover.WhenSyncGone(ctx);
            // Without a new sync the chain is still kept up to date, as in a normal cluster.
            if (replaced is Transition) return replaced;
            var upkeep = AsyncUpkeep.Decide(ctx);
            return upkeep is Transition ? upkeep : replaced;
        }
        return AsyncUpkeep.Decide(ctx);
    }

    /// <summary>
    /// Refuses, in a standby cluster, the commands that would promote a peer (switchover, scheduled switchover, forced
    /// failover); null for every other command, or in a normal cluster.
    /// </summary>
    public static Refusal? RefuseCommand(ClusterState state, OperatorCommand command)
    {
        if (!state.IsStandbyCluster) return null;
        var what = command switch
        {
            OperatorCommand.Switchover => "a switchover",
            OperatorCommand.ScheduleSwitchover => "a scheduled switchover",
            OperatorCommand.Failover => "a forced failover",
            _ => null,
        };
        return what is null ? null : new Refusal(RefusalReason.StandbyCluster,
            $"This is a standby cluster following {state.StandbyOf}: its leader takes no writes and nothing in it is promoted but by promote-cluster, so {what} does not apply.");
    }
}
