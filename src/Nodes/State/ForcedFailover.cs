namespace Appliance.Nodes.State;

/// <summary>
/// <c>appliance failover --to ID --accept-data-loss</c>: when the primary and the sync are both lost, the cluster waits
/// (<see cref="RefusalReason.PrimaryAndSyncLost"/>), since no other peer provably holds every acknowledged write. An
/// operator who cannot bring either back may make another peer primary and give up what it lacks.
/// </summary>
/// <remarks>
/// <para>Refused without the acceptance, while the primary or the sync is present (a safe path exists), while frozen,
/// for a peer tagged <c>nofailover</c>, a deposed peer or one in maintenance, and until the lost primary and sync have
/// been gone for <see cref="ClusterObservation.ForcedFailoverHoldDown"/>: a primary cut off together with its sync
/// could otherwise still acknowledge writes (two acknowledging primaries) until its coordinator lease runs out.</para>
/// <para>The chosen peer's position is read behind <see cref="WalFence.StopReceiving"/>, as for a takeover, and becomes
/// initWal with its history. The old primary and the old sync are deposed: either may hold WAL past that position, so
/// each is rewound (or re-cloned) before it serves again. An async whose WAL went further forks off the new history;
/// its node rewinds it before it streams, and the rules never make it the sync until its reports show it on the
/// history. The promotion starts the generation's timeline (<see cref="PromotionTimeline"/>), one no earlier promotion used.</para>
/// </remarks>
internal static class ForcedFailover
{
    public static Decision Decide(RuleContext ctx, string to, bool acceptDataLoss)
    {
        var state = ctx.State;
        var obs = ctx.Observation;
        if (state.Singleton)
            return new Refusal(RefusalReason.SingletonMode, "A singleton cluster has no other copy of its data to fail over to.");
        var sync = state.Sync!;
        if (ctx.IsPresent(state.Primary))
            return new Refusal(RefusalReason.SafePathExists,
                $"Primary {state.Primary.Id} is present; a forced failover is only for when the primary and the sync are both lost. Use switchover for a planned change.");
        if (ctx.IsPresent(sync))
            return new Refusal(RefusalReason.SafePathExists,
                $"Sync {sync.Id} is present and holds every acknowledged write; the cluster promotes it by itself (see status for what it waits for). Nothing needs to be given up.");
        if (!acceptDataLoss)
            return new Refusal(RefusalReason.DataLossNotAccepted,
                $"Primary {state.Primary.Id} and sync {sync.Id} are both gone. Making {to} primary may lose acknowledged writes that only they hold; " +
                "bring one of them back if you can, or ask again with --accept-data-loss.");
        if (state.IsFrozen) return Refusals.Frozen(state, $"A forced failover to {to}");

        if (state.IsDeposed(to))
            return new Refusal(RefusalReason.InvalidRequest, $"Peer {to} is deposed; its WAL may have diverged. Choose a standby.");
        if (state.InMaintenance(to))
            return new Refusal(RefusalReason.InvalidRequest, $"Peer {to} is in maintenance; take it out of maintenance first.");
        if (!obs.IsPresent(to))
            return new Refusal(RefusalReason.UnknownPeer, $"Peer {to} is not a cluster member right now; present: {RuleContext.Ids(obs.Members)}.");
        var target = obs.Members.First(m => m.Is(to));
        if (!ctx.MayLead(target))
            return new Refusal(RefusalReason.TaggedNoFailover, $"Peer {to} is tagged nofailover; it never becomes primary.");
        if (!obs.ReportsRunning(to))
            return new Refusal(RefusalReason.DatabaseOffline, $"Peer {to} does not report its PostgreSQL running; it cannot become primary.");

        var lost = new[] { state.Primary, sync };
        foreach (var peer in lost)
        {
            var since = obs.Absent.TryGetValue(peer.Id, out var seen) ? seen.Since : (DateTimeOffset?)null;
            if (since is { } s && obs.Now - s < obs.ForcedFailoverHoldDown)
                return new Refusal(RefusalReason.LostTooRecently,
                    $"{peer.Id} was last heard from {(obs.Now - s).TotalSeconds:0.0} s ago; a forced failover waits {obs.ForcedFailoverHoldDown.TotalSeconds:0.0} s " +
                    "so that a primary cut off with its sync has fenced itself. Ask again shortly.");
        }

        const string wanted = "A forced failover";
        var candidates = ctx.SyncCandidates(to);
        if (candidates.IsEmpty) return Refusals.NoCandidate($"{wanted} to {to}");
        if (ctx.FencedPosition(target, WalFence.StopReceivingWal) is not { } fenced)
            return Refusals.NeedsPosition(target, WalFence.StopReceivingWal, $"{wanted} to {to}");

        // A candidate whose WAL went past the new primary's position has forked off its new timeline and would make
        // the new primary wait while it rewinds: one at or below it goes first.
        var newSync = candidates.OrderBy(c => obs.ReportOf(c.Id) is { } r && r.Wal > fenced.Position ? 1 : 0).First();
        var next = ctx.PromotionGeneration(fenced.History) with
        {
            Primary = target,
            Sync = newSync,
            Async = [.. ctx.PresentAsyncs.Where(a => !a.Is(target) && !a.Is(newSync))],
            Deposed = state.Deposed.Add(state.Primary).Add(sync),
            InitWal = fenced.Position,
            InitHistory = fenced.History,
        };
        return new Transition(next, TransitionReason.ForcedFailover, $"Forced failover with data loss accepted: {to} became primary at {fenced.Position} " +
            $"on timeline {fenced.History.Timeline}, {newSync.Id} is its sync; given up: {GivenUp(ctx, fenced.Position)}. " +
            $"{state.Primary.Id} and {sync.Id} are deposed and rewind (or re-clone) before they serve again.");
    }

    /// <summary>The positions the failover gives up: the old initWal and the last known positions of the lost primary and sync.</summary>
    private static string GivenUp(RuleContext ctx, Lsn chosen)
    {
        var state = ctx.State;
        string Position(PeerId peer, string role) =>
            ctx.Observation.Absent.TryGetValue(peer.Id, out var seen) && seen.Report is { } r
                ? $"{role} {peer.Id} last reported {r.Wal}{(r.History is { } h ? $" on timeline {h.Timeline}" : "")}{Beyond(r.Wal, chosen)} at {seen.Since:u}"
                : $"{role} {peer.Id} position unknown (never reported to this coordinator)";
        return $"initWal {state.InitWal}{(state.InitHistory is { } ih ? $" on timeline {ih.Timeline}" : "")} of generation {state.Generation}" +
               $"{Beyond(state.InitWal, chosen)}; {Position(state.Primary, "primary")}; {Position(state.Sync!, "sync")}";
    }

    private static string Beyond(Lsn lost, Lsn chosen) => lost > chosen ? $" ({lost - chosen} bytes past {chosen})" : "";
}
