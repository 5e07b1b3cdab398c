namespace Appliance.Nodes.State;

/// <summary>Decides on operator commands: each is applied whole as one transition, or refused with a reason.</summary>
internal static class OperatorCommands
{
    public static Decision Decide(ClusterState? state, ClusterObservation observation, OperatorCommand command)
    {
        if (state is null)
            return new Refusal(RefusalReason.NoState, "The cluster has not been set up yet, so there is nothing to change.");
        if (command.ExpectedGeneration is { } expected && expected != state.Generation)
            return new Refusal(RefusalReason.StaleGeneration,
                $"The command was issued for generation {expected}, but the cluster is at generation {state.Generation}; look at the current state and ask again.");

        if (StandbyClusterRules.RefuseCommand(state, command) is { } refused) return refused;

        // Peers in maintenance are gone to every rule; only the maintenance command itself sees them.
        var ctx = new RuleContext(state, command is OperatorCommand.Maintenance ? observation : observation.Without(state.Maintenance));
        return command switch
        {
            OperatorCommand.Freeze f => Freeze(ctx, f.Reason),
            OperatorCommand.Unfreeze => Unfreeze(ctx),
            OperatorCommand.Switchover s => Switchover(ctx, s.To),
            OperatorCommand.Rebuild r => Rebuild(ctx, r.PeerId),
            OperatorCommand.Reap r => Reap(ctx, r.PeerId),
            OperatorCommand.Scale s => Scaling.Decide(ctx, s.Instances, s.Force),
            OperatorCommand.Maintenance m => MaintenanceMode.Decide(ctx, m.PeerId, m.On),
            OperatorCommand.Failover f => ForcedFailover.Decide(ctx, f.To, f.AcceptDataLoss),
            OperatorCommand.ScheduleSwitchover s => SwitchoverSchedule.Schedule(ctx, s.At, s.To),
            OperatorCommand.CancelSwitchover => SwitchoverSchedule.Cancel(ctx),
            OperatorCommand.Configure c => SettingsChange.Decide(ctx, c.Set, c.Unset),
            OperatorCommand.PromoteCluster => ClusterPromotion.Decide(ctx),
            _ => throw new ArgumentOutOfRangeException(nameof(command), command, "Unknown operator command."),
        };
    }

    private static Decision Freeze(RuleContext ctx, string reason)
    {
        if (string.IsNullOrWhiteSpace(reason))
            return new Refusal(RefusalReason.InvalidRequest, "A freeze needs a reason, so that others know why the cluster will not fail over.");
        if (ctx.State.Freeze is { } freeze)
            return new Refusal(RefusalReason.AlreadyFrozen, $"The cluster is already frozen since {freeze.Since:u}: {freeze.Reason}.");
        var next = ctx.Next() with { Freeze = new FreezeInfo(reason.Trim(), ctx.Observation.Now) };
        return new Transition(next, TransitionReason.Frozen, $"Cluster frozen: {reason.Trim()}. No failover or sync change happens until it is unfrozen.");
    }

    private static Decision Unfreeze(RuleContext ctx)
    {
        if (ctx.State.Freeze is null)
            return new Refusal(RefusalReason.NotFrozen, "The cluster is not frozen.");
        return new Transition(ctx.Next() with { Freeze = null }, TransitionReason.Unfrozen,
            $"Cluster unfrozen (it was frozen: {ctx.State.Freeze.Reason}).");
    }

    /// <summary>A switchover now (also a scheduled one, when due: <see cref="SwitchoverSchedule.WhenDue"/>).</summary>
    public static Decision Switchover(RuleContext ctx, string? to)
    {
        var state = ctx.State;
        if (state.Singleton)
            return new Refusal(RefusalReason.SingletonMode, "A singleton cluster has no sync to switch over to; add a peer and leave singleton mode first.");
        if (state.IsFrozen)
            return Refusals.Frozen(state, "A switchover");

        var targetId = to ?? state.Sync!.Id;
        var role = state.RoleOf(targetId).Role;
        if (role == PeerRole.Maintenance)
            return new Refusal(RefusalReason.InvalidRequest, $"Peer {targetId} is in maintenance; take it out of maintenance first.");
        if (role == PeerRole.Unassigned)
            return new Refusal(RefusalReason.UnknownPeer,
                $"Peer {targetId} is not the sync or an async (the sync is {state.Sync!.Id}; asyncs are {RuleContext.Ids(state.Async)}).");
        if (role == PeerRole.Primary)
            return new Refusal(RefusalReason.InvalidRequest, $"Peer {targetId} is already the primary.");
        if (role == PeerRole.Deposed)
            return new Refusal(RefusalReason.InvalidRequest, $"Peer {targetId} is deposed; it must rejoin before it can move up.");

        var target = state.Find(targetId)!;
        if (!ctx.MayLead(target))
            return new Refusal(RefusalReason.TaggedNoFailover, $"Peer {targetId} is tagged nofailover; it never becomes the sync or the primary.");
        if (!ctx.IsPresent(target))
            return new Refusal(RefusalReason.InvalidRequest, $"{role} {targetId} is not a cluster member right now, so it cannot move up.");
        if (role == PeerRole.Sync)
        {
            // A planned change must not leave the new primary waiting on a sync that cannot stream yet (a failover has
            // no such choice). Found by the relief scenario: an async still being cloned from the old sync became the
            // new sync the moment its upstream was promoted.
            if (ctx.SyncCandidates() is [var next, ..] && !ctx.Observation.ReportsRunning(next.Id))
                return new Refusal(RefusalReason.DatabaseOffline,
                    $"Switchover to {targetId} would make {next.Id} its sync, but {next.Id} does not report its PostgreSQL running (it may still be cloning); ask again once it streams.");
            return SyncTakeover.Promote(ctx, TransitionReason.Switchover, $"switchover requested to {targetId}");
        }
        if (!ctx.IsPresent(state.Primary))
            return new Refusal(RefusalReason.InvalidRequest,
                $"Primary {state.Primary.Id} is gone, so only the sync ({state.Sync!.Id}) can move up; an async cannot.");

        var index = state.AsyncIndexOf(targetId);
        if (index == 0)
        {
            // An async still being cloned holds WAL only from its clone's start; the old sync, moved behind it, could
            // then ask it for older WAL it never had and never catch up (found by the relief scenario).
            if (!ctx.Observation.ReportsRunning(targetId))
                return new Refusal(RefusalReason.DatabaseOffline,
                    $"Async {targetId} does not report its PostgreSQL running (it may still be cloning), so it cannot become the sync yet; ask again once it streams.");
            if (ctx.NotOnPrimaryHistory(target) is { } off)
                return new Refusal(RefusalReason.OffHistory, $"Async {targetId} cannot become the sync yet: {off}.");
            return SyncReplacement.MoveUp(ctx, target);
        }

        var asyncs = state.Async.SetItem(index, state.Async[index - 1]).SetItem(index - 1, target);
        return new Transition(ctx.Next() with { Async = asyncs }, TransitionReason.Switchover,
            $"Switchover: {targetId} moved up past {state.Async[index - 1].Id} in the async chain: now {RuleContext.Ids(asyncs)}.");
    }

    private static Decision Rebuild(RuleContext ctx, string peerId)
    {
        var state = ctx.State;
        if (!state.IsDeposed(peerId))
            return NotDeposed(ctx, peerId, "rebuild");
        var next = ctx.Next() with { Deposed = state.Deposed.RemoveAll(d => d.Is(peerId)) };
        var when = ctx.Observation.IsPresent(peerId) ? "now" : "when it returns";
        return new Transition(next, TransitionReason.Rebuilt,
            $"Deposed peer {peerId} is rebuilt from a replica and joins the async tail {when}.");
    }

    private static Decision Reap(RuleContext ctx, string peerId)
    {
        var state = ctx.State;
        if (!state.IsDeposed(peerId))
            return NotDeposed(ctx, peerId, "reap");
        if (ctx.Observation.IsPresent(peerId))
            return new Refusal(RefusalReason.PeerStillPresent,
                $"Deposed peer {peerId} is still a cluster member; reap is for peers that are gone for good. Use rebuild to bring it back, or stop it first.");
        var next = ctx.Next() with { Deposed = state.Deposed.RemoveAll(d => d.Is(peerId)) };
        return new Transition(next, TransitionReason.Reaped, $"Deposed peer {peerId} was removed from the cluster for good.");
    }

    private static Refusal NotDeposed(RuleContext ctx, string peerId, string verb)
    {
        var role = ctx.State.RoleOf(peerId).Role;
        return role == PeerRole.Unassigned && !ctx.Observation.IsPresent(peerId)
            ? new Refusal(RefusalReason.UnknownPeer, $"No peer {peerId} is known to the cluster.")
            : new Refusal(RefusalReason.NotDeposed, $"Peer {peerId} is {role.ToString().ToLowerInvariant()}, not deposed; only deposed peers can be {(verb == "reap" ? "reaped" : "rebuilt")}.");
    }
}
