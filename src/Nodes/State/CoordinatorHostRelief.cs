namespace Appliance.Nodes.State;

/// <summary>
/// Keeps the coordinator's host off the write path: when the cluster is healthy and settled and the primary or the
/// sync runs on the coordinator's host, that role moves to another host by a planned change.
/// </summary>
/// <remarks>
/// <para>The coordinator is a cluster singleton, so it runs on the oldest member. When its host crashes, the singleton
/// moves only after detection, the split-brain resolver's stable-after and the removal margin; if that host also ran
/// the primary (or the sync, without which the primary takes no writes), writes wait for both. Measured: about 11 s
/// from kill to first write against about 3 s when the coordinator ran elsewhere (docs/BENCHMARKS.md §1a). Initial
/// setup lists the coordinator's peer last, but failovers rotate the roles, and after a few the oldest member is the
/// primary again.</para>
/// <para>The move costs a short write pause (a switchover's, about 1–2 s) at a moment the coordinator chooses,
/// instead of several extra seconds at the worst one. It is the same change an operator's switchover makes, so it
/// keeps the same guarantees: the sync takes over only behind its fence with every acknowledged write, and a new
/// sync is named behind the primary's. It is the rules' lowest priority: it acts only when every other rule rests,
/// only when the host knows it is settled (<see cref="CoordinatorHost.Settled"/>), and only when every peer it
/// involves runs and is close to the primary, so that it never stalls writes waiting for a lagging standby.</para>
/// </remarks>
internal static class CoordinatorHostRelief
{
    public static Decision Decide(RuleContext ctx)
    {
        var state = ctx.State;
        if (ctx.Observation.Coordinator is not { } host || state.Singleton || state.IsFrozen || state.Sync is not { } sync)
            return Decision.None;
        var primaryOnHost = host.Runs(state.Primary) && !host.Runs(sync);
        if (!primaryOnHost && !host.Runs(sync))
            return Decision.None;
        var wanted = primaryOnHost
            ? $"moving the primary off the coordinator's host ({state.Primary.Id})"
            : $"moving the sync off the coordinator's host ({sync.Id})";
        NoChange Waits(string what) => new($"{wanted} waits: {what}");

        if (!host.Settled)
            return Waits("the cluster has not been quiet long enough (no state written, no peer come or gone, no fence raised)");
        if (ctx.Observation.ReportOf(state.Primary.Id) is not { PostgresUp: true } primary || !ctx.IsPresent(state.Primary))
            return Waits($"primary {state.Primary.Id} does not report its PostgreSQL running");

        string? NotClose(PeerId peer) => PlannedMove.NotClose(ctx, peer, primary);

        if (primaryOnHost)
        {
            // The sync takes over and async[0] (or the best candidate) becomes the sync; the old primary is deposed
            // and rejoins at the tail of the chain, which is where the coordinator's host belongs.
            var candidates = ctx.SyncCandidates();
            if (candidates.IsEmpty) return Waits("no async could become the new sync");
            if ((NotClose(sync) ?? NotClose(candidates[0])) is { } why) return Waits(why);
            return SyncTakeover.Promote(ctx, TransitionReason.CoordinatorHostRelieved,
                $"planned move of the primary off the coordinator's host ({state.Primary.Id})");
        }

        // With both on the coordinator's host (co-location), the sync moves first and the primary at the next lap.
        var target = ctx.PresentAsyncs.FirstOrDefault(a => !host.Runs(a) && ctx.MayLead(a) && NotClose(a) is null);
        if (target is null)
            return Waits(ctx.PresentAsyncs.FirstOrDefault(a => !host.Runs(a)) is { } first
                ? NotClose(first)!
                : "no async runs on another host");
        // The old sync goes to the tail, not the head, so that the next takeover does not make it the sync again.
        var asyncs = ctx.AsyncsWithout(target).Add(sync);
        return SyncReplacement.Replace(ctx, target, asyncs, TransitionReason.CoordinatorHostRelieved,
            $"Planned move of the sync off the coordinator's host: {target.Id} became the sync of {state.Primary.Id}, and {sync.Id} moved to the tail of the async chain");
    }
}
