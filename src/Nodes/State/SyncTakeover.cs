namespace Appliance.Nodes.State;

/// <summary>
/// The sync becomes primary: when the primary is gone, or when an operator asks for a switchover. This is the only
/// rule that changes the primary, and it is where acknowledged writes are kept or lost.
/// </summary>
/// <remarks>
/// Safe because every write acknowledged before this generation is at or below initWal (the primary that declared
/// the generation had them all, and named the sync before it read its position), and every write acknowledged during
/// it is on the sync (synchronous replication). So a sync that, read now, holds WAL to at least initWal holds every
/// acknowledged write: each is a whole record at or below what it received, and replay uses up every whole record. The
/// sync stops receiving before that read (<see cref="WalFence.StopReceiving"/>), so the old primary cannot get anything
/// more acknowledged through it. The new initWal is where the promotion forks, the end of the last whole record the
/// sync replayed, and covers everything the new primary will ever have of the old generation. The old primary may
/// hold WAL the sync never saw, so it is deposed.
/// Positions are compared on the generation's timeline history (<see cref="ClusterState.InitHistory"/>), never as bare
/// LSNs: WAL as long as initWal on a history that forked below it does not hold the generation's writes.
/// </remarks>
internal static class SyncTakeover
{
    /// <summary>The primary is not a member: take over if the sync can prove it has everything.</summary>
    public static Decision WhenPrimaryGone(RuleContext ctx)
    {
        var state = ctx.State;
        if (!ctx.IsPresent(state.Sync!))
            return new Refusal(RefusalReason.PrimaryAndSyncLost,
                $"Primary {state.Primary.Id} and sync {state.Sync!.Id} are both gone, and only they are known to hold every acknowledged write; " +
                "the cluster takes no writes until one of them returns (or an operator restores it).");
        return Promote(ctx, TransitionReason.SyncTakeover, $"primary {state.Primary.Id} is gone");
    }

    /// <summary>Promote the sync, deposing the current primary, if it is safe now.</summary>
    public static Decision Promote(RuleContext ctx, TransitionReason reason, string why)
    {
        var state = ctx.State;
        var sync = state.Sync!;
        var wanted = $"Promoting sync {sync.Id} ({why})";
        if (state.IsFrozen) return Refusals.Frozen(state, wanted);
        var candidates = ctx.SyncCandidates();
        if (candidates.IsEmpty) return Refusals.NoCandidate(wanted);
        if (ctx.IsDown(sync)) return Refusals.Offline(sync, wanted);
        if (ctx.FencedPosition(sync, WalFence.StopReceivingWal) is not { } fenced)
            return Refusals.NeedsPosition(sync, WalFence.StopReceivingWal, wanted);
        // Held, not the replayed position: initWal can lie inside a record the primary had flushed only in part, and no
        // acknowledged commit lies past its start. The new generation is declared where the promotion forks, at the end
        // of the last whole record (Position): a declared initWal past the fork would put the new primary's own
        // history off the generation's, and every later move would be refused (found by CI in a planned switchover).
        var position = fenced.Position;
        if (fenced.Held < state.InitWal)
            return new Refusal(RefusalReason.NotCaughtUp,
                $"{wanted} is not safe: it holds WAL to {fenced.Held}, short of initWal {state.InitWal}, so it may lack acknowledged writes; " +
                $"waiting for it to catch up (or for {state.Primary.Id} to return).");

        // A bare LSN proves nothing: a sync that went on streaming from a deposed primary, or was never rewound, can
        // hold as much WAL as initWal and still lack the writes acknowledged on the generation's history.
        if (state.InitHistory is { } init && !fenced.History.Holds(init, state.InitWal))
            return new Refusal(RefusalReason.OffHistory,
                $"{wanted} is not safe: it is at {position} on {fenced.History}, which parts from the generation's history ({init}) at " +
                $"{init.ForkPoint(fenced.History)}, below initWal {state.InitWal}, so it may lack acknowledged writes; waiting for {state.Primary.Id} to return.");

        var newSync = candidates[0];
        var next = ctx.PromotionGeneration(fenced.History) with
        {
            Primary = sync,
            Sync = newSync,
            Async = ctx.AsyncsWithout(newSync),
            Deposed = state.Deposed.Add(state.Primary),
            InitWal = position,
            InitHistory = fenced.History,
        };
        return new Transition(next, reason,
            $"{char.ToUpperInvariant(why[0])}{why[1..]}: sync {sync.Id} became primary at {position}, {newSync.Id} is the new sync, and {state.Primary.Id} is deposed.");
    }
}
