namespace Appliance.Nodes.State;

/// <summary>
/// Failover inside a standby cluster (<see cref="ClusterState.StandbyOf"/>): a lost standby leader is replaced by its
/// sync (or, without one that runs, by the first async that does), which then streams from the source itself; a lost
/// sync is replaced by the first async. Each starts a generation, as in a normal cluster.
/// </summary>
/// <remarks>
/// <para>No promotion and no fence is needed, because a standby cluster holds nothing of its own: every peer is a
/// standby that holds a prefix of the source's WAL (or a fork of it that the standby roles rewind, as after the source's
/// own failover), and none acknowledges a write. So any peer that runs can lead: the new leader is re-pointed to the
/// source (a reload, <c>primary_conninfo</c>), and the peers below it keep streaming from their upstreams. initWal and
/// its history stay as they are; <c>promote-cluster</c> declares the first of its own (<see cref="ClusterPromotion"/>).</para>
/// <para>The old leader leaves the state rather than being deposed: it was never promoted, so it holds no writes the
/// others lack, and there is nothing to rewind. If it comes back it joins the async tail as a newcomer, and streams once
/// its upstream has caught up with it (a standby ahead of its upstream waits; one that forked off is rewound by the
/// standby roles' follow rule). A leader cut off from the coordinator but still running goes on following the source
/// on its stale state: harmless, as only a state written by <c>promote-cluster</c> ever promotes a peer, and that state
/// names the new leader.</para>
/// <para>Refused while frozen (a generation would change) and when no peer that runs may lead or be the new sync: the
/// cluster then keeps what it received and waits.</para>
/// <para>A peer below the new leader may hold more of the source's WAL than it (the old leader back as an async, an
/// old sync that could not lead). While the source runs the leader soon passes it; if the leader is promoted first,
/// that peer has forked off the promoted history, and its role's stall check rewinds it (<see cref="StallVerdict.Rewind"/>).
/// What the new leader lacks of the old leader's WAL is lost at a promotion: it was the source's, never acknowledged here.</para>
/// </remarks>
internal static class StandbyFailover
{
    /// <summary>The standby leader is not a member: its sync, or else the first async that runs, leads in its place.</summary>
    public static Decision WhenLeaderGone(RuleContext ctx)
    {
        var state = ctx.State;
        var lost = state.Primary;
        var wanted = $"Replacing standby leader {lost.Id}, which is gone,";
        if (state.IsFrozen) return Refusals.Frozen(state, wanted);

        var sync = state.Sync!;
        var syncLeads = ctx.IsPresent(sync) && ctx.Observation.ReportsRunning(sync.Id) && ctx.MayLead(sync);
        var leader = syncLeads ? sync : ctx.PresentAsyncs.FirstOrDefault(a => ctx.Observation.ReportsRunning(a.Id) && ctx.MayLead(a));
        if (leader is null)
            return new Refusal(RefusalReason.NoAsyncAvailable,
                $"{wanted} is not possible: no peer whose PostgreSQL runs may lead (sync {sync.Id} {Why(ctx, sync)}); the standby cluster keeps what it " +
                $"received from {state.StandbyOf} and waits.");

        var newSync = ctx.SyncCandidates(leader.Id, sync.Id).FirstOrDefault();
        if (newSync is null && !syncLeads && ctx.IsPresent(sync) && ctx.MayLead(sync)) newSync = sync;
        if (newSync is null) return Refusals.NoCandidate($"{wanted} with {leader.Id} as leader,");

        // The old sync, when it does not lead and is not the new sync, heads the chain if its PostgreSQL runs (it is
        // closest to the old leader), else goes to the tail, so that the asyncs below it keep an upstream.
        var asyncs = ctx.PresentAsyncs.Where(a => !a.Is(leader) && !a.Is(newSync)).ToList();
        if (!syncLeads && ctx.IsPresent(sync) && !sync.Is(newSync))
        {
            if (ctx.Observation.ReportsRunning(sync.Id)) asyncs.Insert(0, sync);
            else asyncs.Add(sync);
        }
        var next = ctx.NextGeneration() with { Primary = leader, Sync = newSync, Async = [.. asyncs] };
        return new Transition(next, TransitionReason.StandbyLeaderReplaced,
            $"Standby leader {lost.Id} is gone: {leader.Id} leads the standby cluster and follows {state.StandbyOf} itself, {newSync.Id} is its sync, " +
            $"and {lost.Id} left the state (it rejoins the async tail when it returns; it was never promoted, so nothing needs rewinding).");
    }

    /// <summary>The sync is not a member: the first async (by the order of <see cref="RuleContext.SyncCandidates"/>) takes its place.</summary>
    public static Decision WhenSyncGone(RuleContext ctx)
    {
        var state = ctx.State;
        var lost = state.Sync!;
        var wanted = $"Replacing sync {lost.Id} of the standby cluster, which is gone,";
        if (state.IsFrozen) return Refusals.Frozen(state, wanted);
        var candidates = ctx.SyncCandidates();
        if (candidates.IsEmpty) return Refusals.NoCandidate(wanted);
        var newSync = candidates[0];
        var next = ctx.NextGeneration() with { Sync = newSync, Async = ctx.AsyncsWithout(newSync) };
        return new Transition(next, TransitionReason.SyncReplaced,
            $"Sync {lost.Id} of the standby cluster is gone: {newSync.Id} streams from standby leader {state.Primary.Id} in its place " +
            "(nothing is acknowledged in a standby cluster, so no fence is needed).");
    }

    private static string Why(RuleContext ctx, PeerId peer) =>
        !ctx.IsPresent(peer) ? "is gone" : !ctx.MayLead(peer) ? "is tagged nofailover" : "has not reported its PostgreSQL running";
}
