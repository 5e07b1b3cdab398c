namespace Appliance.Nodes.State;

/// <summary>
/// Under <see cref="RejoinPolicy.Auto"/>, a deposed peer that is back and reports that it has rewound (or re-cloned)
/// onto the current timeline leaves the deposed list and joins the async tail, one peer per write.
/// </summary>
/// <remarks>
/// The peer's own word is required because only it knows that the WAL it held beyond the fork (never acknowledged)
/// has been discarded. Until then it stays deposed and serves nothing.
/// </remarks>
internal static class DeposedRejoin
{
    public static Decision Decide(RuleContext ctx)
    {
        if (ctx.Observation.Rejoin != RejoinPolicy.Auto)
            return Decision.None;
        var state = ctx.State;
        var ready = state.Deposed.FirstOrDefault(d => ctx.IsPresent(d) && IsReady(ctx, d));
        if (ready is null)
            return Decision.None;

        var next = ctx.Next() with { Deposed = state.Deposed.RemoveAll(d => d.Is(ready)), Async = state.Async.Add(ready) };
        return new Transition(next, TransitionReason.Rejoined,
            $"Deposed peer {ready.Id} rewound onto the current timeline and rejoined as the last async.");
    }

    /// <summary>
    /// Ready for this state: rewound onto this primary, on the timeline the primary reports now, and its report shows
    /// it on the primary's history. A readiness left over from an earlier primary (one deposed since, or a restart
    /// before the rejoin was written) says nothing about the WAL the peer holds now. The generation it was rewound in
    /// is recorded but not compared: a sync change keeps the primary's timeline, and with it the rewind's worth.
    /// </summary>
    private static bool IsReady(RuleContext ctx, PeerId peer) =>
        ctx.Observation.ReportOf(peer.Id) is { ReadyToRejoin: true, RewoundOnto: { } onto }
        && ctx.State.Primary.Is(onto.Primary)
        && ctx.Observation.ReportOf(ctx.State.Primary.Id)?.History?.Timeline == onto.Timeline
        && ctx.StandingOf(peer) == HistoryStanding.OnHistory;
}
