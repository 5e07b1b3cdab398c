namespace Appliance.Nodes.State;

/// <summary>
/// The transition rules of the cluster, after Manatee's state machine, evaluated centrally by the coordinator.
/// Pure: the same state and observation always give the same decision.
/// </summary>
/// <remarks>
/// One change per evaluation. The coordinator writes the transition it gets, then evaluates again with the new state,
/// until the result is <see cref="NoChange"/> or a <see cref="Refusal"/>. A refusal of
/// <see cref="RefusalReason.NeedsFencedPosition"/> asks it to fence a peer, read its WAL position and evaluate again
/// (and to lift the fence if the evaluation then writes no new generation).
/// </remarks>
public static class ClusterRules
{
    /// <summary>Decides what, if anything, the cluster state should become.</summary>
    /// <param name="current">The current state, or null before the cluster was ever set up.</param>
    /// <param name="observation">Membership, reports, fresh positions, configuration and any operator command.</param>
    /// <returns>No change, a transition to a valid next state (version + 1), or a refusal with its reason.</returns>
    /// <exception cref="ArgumentException">The observation lists a member twice.</exception>
    public static Decision Evaluate(ClusterState? current, ClusterObservation observation)
    {
        var duplicate = observation.Members.GroupBy(m => m.Id).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
            throw new ArgumentException($"Member {duplicate.Key} is listed twice in the observation.", nameof(observation));

        var decision = Decide(current, observation);
        if (decision is Transition t)
        {
            t.Next.EnsureValid();
            if (t.Next.Version != (current?.Version ?? 0) + 1)
                throw new InvalidOperationException($"Rule {t.Reason} produced version {t.Next.Version} after {current?.Version ?? 0}.");
        }
        return decision;
    }

    private static Decision Decide(ClusterState? current, ClusterObservation observation)
    {
        if (observation.Command is { } command)
            return OperatorCommands.Decide(current, observation, command);
        if (current is null)
            return InitialSetup.Decide(observation);

        // A peer in maintenance is treated exactly as a peer that is gone: it is neither present nor a newcomer.
        observation = observation.Without(current.Maintenance);
        var ctx = new RuleContext(current, observation);
        if (observation.Mode == ClusterMode.Singleton && !current.Singleton)
            return new Refusal(RefusalReason.ModeMismatch,
                "This node is configured for singleton mode, but the cluster runs in normal mode; going back to singleton is not supported. Fix the configuration.");
        if (current.Singleton)
            return SingletonUpgrade.Decide(ctx);
        if (current.IsStandbyCluster)
            return StandbyClusterRules.Decide(ctx);

        // Nobody but the coordinator writes, yet it keeps Manatee's discipline: while the primary is gone only the
        // sync's takeover may happen, since no primary exists to vouch for the chain.
        if (!ctx.IsPresent(current.Primary))
            return SyncTakeover.WhenPrimaryGone(ctx);

        if (!ctx.IsPresent(current.Sync!))
        {
            var replacement = SyncReplacement.WhenSyncGone(ctx);
            if (replacement is Transition) return replacement;
            // Without a new sync, writes stall, but the chain is still kept up to date (Manatee falls through too),
            // and a deposed peer that has rewound rejoins: with three nodes it is the only possible new sync (the spin
            // model found writes stalled for good here while it waited).
            var upkeep = AsyncUpkeep.Decide(ctx);
            if (upkeep is Transition) return upkeep;
            var rejoined = DeposedRejoin.Decide(ctx);
            return rejoined is Transition ? rejoined : replacement;
        }

        // A sync that is a member but runs no PostgreSQL stalls every commit just as a lost one does. Only a change it
        // can make (or the fence it needs for one) stops the rules below; otherwise they run as usual.
        var stalled = SyncReplacement.WhenSyncDown(ctx);
        if (stalled is Transition or Refusal { Reason: RefusalReason.NeedsFencedPosition }) return stalled;

        var rejoin = DeposedRejoin.Decide(ctx);
        if (rejoin is Transition) return rejoin;
        var reap = IncarnationReap.Decide(ctx);
        if (reap is Transition) return reap;
        var chain = AsyncUpkeep.Decide(ctx);
        if (chain is not NoChange) return chain;
        var scheduled = SwitchoverSchedule.WhenDue(ctx);
        return scheduled is NoChange { Deferred: null } ? CoordinatorHostRelief.Decide(ctx) : scheduled;
    }
}
