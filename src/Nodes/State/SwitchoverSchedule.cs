namespace Appliance.Nodes.State;

/// <summary>
/// <c>appliance switchover --at TIME</c> and <c>--cancel</c>: a switchover kept in the cluster state
/// (<see cref="ClusterState.ScheduledSwitchover"/>), so that whichever coordinator runs when it falls due carries it out.
/// </summary>
/// <remarks>
/// When due it is the operator's switchover, with every check and fence of one; it runs only when every fault rule
/// rests (primary and sync present, chain up to date), and only once the peers involved run and are close to the
/// primary (<see cref="PlannedMove.NotClose"/>), so it never raises a fence it would then have to lift at every tick.
/// Until then it waits and says why (<see cref="NoChange.Deferred"/>). A schedule whose target no longer has a role
/// that can move up (it became the primary, left the chain) is dropped with a transition that says so.
/// </remarks>
internal static class SwitchoverSchedule
{
    public static Decision Schedule(RuleContext ctx, DateTimeOffset at, string? to)
    {
        var state = ctx.State;
        if (at <= ctx.Observation.Now)
            return new Refusal(RefusalReason.InvalidRequest, $"{at:u} is not in the future; use switchover without --at for a switchover now.");
        if (state.Singleton)
            return new Refusal(RefusalReason.SingletonMode, "A singleton cluster has no sync to switch over to.");
        if (to is not null && state.RoleOf(to).Role is not (PeerRole.Sync or PeerRole.Async))
            return new Refusal(RefusalReason.UnknownPeer, $"Peer {to} is not the sync or an async; only they can move up.");
        if (to is not null && ctx.Observation.ReportOf(to) is { } r && r.Tags.HasFlag(PeerTags.NoFailover))
            return new Refusal(RefusalReason.TaggedNoFailover, $"Peer {to} is tagged nofailover; it never becomes the sync or the primary.");
        var replaced = state.ScheduledSwitchover is { } old ? $" (replacing the one due at {old.At:u})" : "";
        var next = ctx.Next() with { ScheduledSwitchover = new ScheduledSwitchover(at, to, ctx.Observation.Now) };
        return new Transition(next, TransitionReason.SwitchoverScheduled,
            $"Switchover to {to ?? $"the sync ({state.Sync!.Id})"} scheduled for {at:u}{replaced}.");
    }

    public static Decision Cancel(RuleContext ctx)
    {
        if (ctx.State.ScheduledSwitchover is not { } planned)
            return new Refusal(RefusalReason.InvalidRequest, "No switchover is scheduled.");
        return new Transition(ctx.Next() with { ScheduledSwitchover = null }, TransitionReason.SwitchoverCancelled,
            $"The switchover scheduled for {planned.At:u} (to {planned.To ?? "the sync"}) was cancelled.");
    }

    /// <summary>Carries out a due switchover, or says what it waits for; <see cref="Decision.None"/> when none is due.</summary>
    public static Decision WhenDue(RuleContext ctx)
    {
        var state = ctx.State;
        if (state.ScheduledSwitchover is not { } planned || ctx.Observation.Now < planned.At) return Decision.None;
        var targetId = planned.To ?? state.Sync?.Id;
        var role = targetId is null ? PeerRole.Unassigned : state.RoleOf(targetId).Role;
        if (role is not (PeerRole.Sync or PeerRole.Async))
            return new Transition(ctx.Next() with { ScheduledSwitchover = null }, TransitionReason.SwitchoverCancelled,
                $"The switchover scheduled for {planned.At:u} was dropped: {targetId ?? "its target"} is {role.ToString().ToLowerInvariant()} now, so it cannot move up.");

        var wanted = $"the switchover scheduled for {planned.At:u} (to {targetId})";
        NoChange Waits(string what) => new($"{wanted} waits: {what}");
        if (state.IsFrozen) return Waits($"the cluster is frozen ({state.Freeze!.Reason})");
        if (ctx.Observation.ReportOf(state.Primary.Id) is not { PostgresUp: true } primary)
            return Waits($"primary {state.Primary.Id} does not report its PostgreSQL running");
        var target = state.Find(targetId!)!;
        if (!ctx.MayLead(target)) return Waits($"{targetId} is tagged nofailover");
        if (PlannedMove.NotClose(ctx, target, primary) is { } why) return Waits(why);
        if (role == PeerRole.Sync && ctx.SyncCandidates() is [var next, ..] && PlannedMove.NotClose(ctx, next, primary) is { } whyNext)
            return Waits(whyNext);

        var decision = OperatorCommands.Switchover(ctx, planned.To);
        return decision switch
        {
            Transition t => t with
            {
                Next = t.Next with { ScheduledSwitchover = null },
                Detail = $"Scheduled (for {planned.At:u}): {t.Detail}",
            },
            Refusal { Reason: RefusalReason.NeedsFencedPosition } => decision,
            Refusal r => Waits(r.Detail),
            _ => decision,
        };
    }
}
