namespace Appliance.Nodes.State;

/// <summary>
/// What the rules do in a standby cluster (<see cref="ClusterState.StandbyOf"/>): its state's primary is the standby
/// leader, which streams from the other cluster and is promoted only by <c>promote-cluster</c> (<see cref="ClusterPromotion"/>), so only the chain below it is kept up to date.
/// </summary>
/// <remarks>
/// Every generation change is built on a promotion or on the primary naming a new sync behind a fence
/// (<see cref="WalFence"/>), and neither applies to a standby leader: a sync that took over would promote and take
/// writes beside the source's primary, and a standby cannot read <c>pg_current_wal_flush_lsn()</c>. So a lost leader
/// or sync is refused with <see cref="RefusalReason.StandbyCluster"/> (the cluster keeps following as far as its
/// remaining chain allows), and so are the commands that would promote a peer. The asyncs are looked after as usual:
/// a standby cluster acknowledges nothing, so no change of its chain can lose a write.
/// </remarks>
internal static class StandbyClusterRules
{
    public static Decision Decide(RuleContext ctx)
    {
        var state = ctx.State;
        var chain = AsyncUpkeep.Decide(ctx);
        if (chain is not NoChange) return chain;
        if (!ctx.IsPresent(state.Primary))
            return new Refusal(RefusalReason.StandbyCluster,
                $"Standby leader {state.Primary.Id} is gone; a standby cluster does not fail over inside itself yet, so its peers " +
                $"wait for it (they keep what they received from {state.StandbyOf}).");
        if (!ctx.IsPresent(state.Sync!))
            return new Refusal(RefusalReason.StandbyCluster,
                $"Sync {state.Sync!.Id} of the standby cluster is gone; a standby cluster does not replace its sync yet, so the asyncs below it wait for it.");
        return chain;
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
