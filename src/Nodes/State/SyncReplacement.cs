namespace Appliance.Nodes.State;

/// <summary>
/// The primary takes a new sync: when the sync is gone, or when an operator moves async[0] up. The primary keeps
/// its role; the generation changes so that the old sync can never count as synchronous again.
/// </summary>
/// <remarks>
/// The new sync may be far behind. That is safe: the primary names it in <c>synchronous_standby_names</c> before
/// it reports the position that becomes the new initWal (<see cref="WalFence.NameSync"/>), so everything
/// acknowledged through the old sync is at or below initWal, and nothing later is acknowledged until the new sync has
/// it. The old sync's WAL is a prefix of the primary's, so it rejoins later as a
/// plain async with no rebuild.
/// </remarks>
internal static class SyncReplacement
{
    /// <summary>The sync is not a member: pick the best candidate.</summary>
    public static Decision WhenSyncGone(RuleContext ctx)
    {
        var state = ctx.State;
        var wanted = $"Replacing sync {state.Sync!.Id}, which is gone,";
        if (state.IsFrozen) return Refusals.Frozen(state, wanted);
        var candidates = ctx.SyncCandidates();
        if (candidates.IsEmpty) return Refusals.NoCandidate(wanted);
        var newSync = candidates[0];
        return Replace(ctx, newSync, ctx.AsyncsWithout(newSync), TransitionReason.SyncReplaced,
            $"Sync {state.Sync.Id} is gone: primary {state.Primary.Id} took {newSync.Id} as its new sync");
    }

    /// <summary>
    /// The sync is a member but has reported its PostgreSQL down for <see cref="ClusterObservation.ReplaceDownSyncAfter"/>
    /// (a role that keeps failing, a disk that filled up): every commit on the primary waits on it, so the first async
    /// that runs PostgreSQL becomes the sync, and the old sync goes to the tail of the chain, where it streams again
    /// once its PostgreSQL runs. Returns <see cref="Decision.None"/> when it need not or cannot act, so that the rules
    /// below it still run.
    /// </summary>
    public static Decision WhenSyncDown(RuleContext ctx)
    {
        var state = ctx.State;
        var sync = state.Sync!;
        var observation = ctx.Observation;
        if (state.IsFrozen || observation.ReplaceDownSyncAfter is not { } after
            || !observation.PostgresDownSince.TryGetValue(sync.Id, out var since) || observation.Now - since < after)
            return Decision.None;
        var newSync = ctx.PresentAsyncs.FirstOrDefault(a => observation.ReportsRunning(a.Id) && ctx.StandingOf(a) != HistoryStanding.Forked && ctx.MayLead(a));
        if (newSync is null) return Decision.None;
        return Replace(ctx, newSync, ctx.AsyncsWithout(newSync).Add(sync), TransitionReason.SyncReplaced,
            $"Sync {sync.Id} has reported its PostgreSQL down for {(observation.Now - since).TotalSeconds:0} s: primary {state.Primary.Id} " +
            $"took {newSync.Id} as its new sync, and {sync.Id} moved to the tail of the async chain");
    }

    /// <summary>Switchover to async[0]: it becomes the sync, and the old sync goes to the head of the chain.</summary>
    public static Decision MoveUp(RuleContext ctx, PeerId target)
    {
        var state = ctx.State;
        var rest = ctx.AsyncsWithout(target);
        var asyncs = ctx.IsPresent(state.Sync!) ? rest.Insert(0, state.Sync!) : rest;
        return Replace(ctx, target, asyncs, TransitionReason.Switchover,
            $"Switchover: {target.Id} became the sync of {state.Primary.Id}, and {state.Sync!.Id} moved to the head of the async chain");
    }

    /// <summary>Makes <paramref name="newSync"/> the sync, with <paramref name="asyncs"/> as the new chain, once the primary named it behind a fence.</summary>
    public static Decision Replace(
        RuleContext ctx, PeerId newSync, System.Collections.Immutable.ImmutableArray<PeerId> asyncs,
        TransitionReason reason, string detail)
    {
        var primary = ctx.State.Primary;
        var wanted = $"Making {newSync.Id} the sync";
        if (ctx.IsDown(primary)) return Refusals.Offline(primary, wanted);
        var fence = new WalFence.NameSync(newSync.Id);
        if (ctx.FencedPosition(primary, fence) is not { } fenced) return Refusals.NeedsPosition(primary, fence, wanted);
        var next = ctx.NextGeneration() with { Sync = newSync, Async = asyncs, InitWal = fenced.Position, InitHistory = fenced.History };
        return new Transition(next, reason, $"{detail} (initWal {fenced.Position} on timeline {fenced.History.Timeline}).");
    }
}
