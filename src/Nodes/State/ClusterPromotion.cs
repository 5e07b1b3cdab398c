namespace Appliance.Nodes.State;

/// <summary>
/// <c>appliance promote-cluster</c>: a standby cluster (<see cref="ClusterState.StandbyOf"/>) becomes a normal, writable
/// cluster. Its standby leader stops following the source and is promoted; its sync and asyncs stay as they are.
/// </summary>
/// <remarks>
/// <para>The leader's position is read behind <see cref="WalFence.StopReceiving"/>, as for a takeover: its WAL receiver
/// is shut off first, so nothing more of the source reaches it, and what it replayed is where the promotion forks. That
/// position and its history become initWal. The sync streams from the leader and so holds no more than it; after a
/// failover inside the standby cluster, or right after the leader was rewound onto its source's new timeline, it can
/// hold more or another branch, and its stall check then rewinds it onto the promoted history (StandbyStall).</para>
/// <para>The promotion starts a timeline past the source's (<see cref="PromotionTimeline"/>), so the new generation comes
/// from <see cref="RuleContext.PromotionGeneration"/> on the leader's history, and past every timeline a member reports:
/// a standby cluster has run on the source's timelines, whose numbers are unrelated to its own generations, and a
/// member may have followed the source further than the leader. From here on the generation equals the timeline as in
/// any cluster.</para>
/// <para>Refused in a normal cluster, while frozen (it starts a generation), and while the leader is not a member, has
/// not reported, or reported its PostgreSQL down: no one else may be promoted in its place (the sync may lack what the
/// leader received). Once the new state is written the leader runs as a primary, read-only until its sync has caught
/// up, as after any promotion; writes are acknowledged only once the sync holds them.</para>
/// </remarks>
internal static class ClusterPromotion
{
    public static Decision Decide(RuleContext ctx)
    {
        var state = ctx.State;
        if (state.StandbyOf is not { } source)
            return new Refusal(RefusalReason.NotStandbyCluster,
                "This cluster is not a standby cluster (it was not started with --standby-of); it already takes writes, so there is nothing to promote.");
        if (state.IsFrozen) return Refusals.Frozen(state, "Promoting the standby cluster");

        var leader = state.Primary;
        const string wanted = "Promoting the standby cluster";
        if (!ctx.IsPresent(leader))
            return new Refusal(RefusalReason.DatabaseOffline,
                $"Standby leader {leader.Id} is not a cluster member right now; only it may be promoted (the others may lack what it received from {source}). Bring it back first.");
        if (ctx.Observation.ReportOf(leader.Id) is not { } report)
            return new Refusal(RefusalReason.AwaitingReports,
                $"Standby leader {leader.Id} has not reported its status yet; ask again once it has.");
        if (!report.PostgresUp) return Refusals.Offline(leader, wanted);
        if (ctx.FencedPosition(leader, WalFence.StopReceivingWal) is not { } fenced)
            return Refusals.NeedsPosition(leader, WalFence.StopReceivingWal, wanted);

        // Past every timeline a member reports, and the last one each departed peer reported, not only the leader's: a
        // peer that followed the source further (a leader replaced since, or its standbys) holds the source's later
        // timeline, and starting its number here could give it a second history under one number (ARCHITECTURE §15).
        // What a peer in maintenance or out of reach learned since is not seen here: the runbook re-clones those.
        var heard = ctx.Observation.Reports.Values.Concat(ctx.Observation.Absent.Values.Select(a => a.Report))
            .Select(r => r?.History?.Timeline ?? 0).Append(fenced.History.Timeline).Max();
        var next = ctx.PromotionGeneration(fenced.History) with
        {
            StandbyOf = null,
            InitWal = fenced.Position,
            InitHistory = fenced.History,
        };
        if (heard + 1L > next.Generation) next = next with { Generation = heard + 1L };
        return new Transition(next, TransitionReason.ClusterPromoted,
            $"Standby cluster promoted: {leader.Id} stopped following {source} at {fenced.Position} on timeline {fenced.History.Timeline} " +
            $"and becomes primary of generation {next.Generation} (timeline {PromotionTimeline.For(fenced.History.Timeline, next.Generation)}); " +
            $"{state.Sync?.Id ?? "no peer"} is its sync. It takes writes once the sync has caught up.");
    }
}
