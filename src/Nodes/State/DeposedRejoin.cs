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
    /// Ready for this state: rewound onto this primary in this generation, and its report shows it on the primary's
    /// history. A readiness left over from an earlier generation (the peer rewound onto a primary that has since been
    /// deposed itself, or restarted before its rejoin was written) says nothing about the WAL it holds now.
    /// </summary>
    private static bool IsReady(RuleContext ctx, PeerId peer) =>
        ctx.Observation.ReportOf(peer.Id) is { ReadyToRejoin: true, RewoundOnto: { } onto }
        && ctx.State.Primary.Is(onto.Primary) && onto.Generation == ctx.State.Generation
        && ctx.StandingOf(peer) == HistoryStanding.OnHistory;
}
