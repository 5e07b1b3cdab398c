namespace Appliance.Nodes.State;

/// <summary>
/// Keeps the async chain equal to the present peers, in the same generation: absent asyncs drop out (the chain closes
/// over the gap) and newcomers join the tail in join order. Deposed peers are never added back this way.
/// </summary>
/// <remarks>Manatee's semantics: this goes on while the cluster is frozen, and the freeze is kept.</remarks>
internal static class AsyncUpkeep
{
    public static Decision Decide(RuleContext ctx)
    {
        var state = ctx.State;
        var kept = ctx.PresentAsyncs;
        var dropped = state.Async.Where(a => !ctx.IsPresent(a)).ToList();
        var added = ctx.Newcomers;
        if (dropped.Count == 0 && added.IsEmpty)
            return Decision.None;

        var next = ctx.Next() with { Async = kept.AddRange(added) };
        var parts = new List<string>();
        if (dropped.Count > 0) parts.Add($"dropped {RuleContext.Ids(dropped)} (gone)");
        if (!added.IsEmpty) parts.Add($"added {RuleContext.Ids(added)} at the tail");
        return new Transition(next, TransitionReason.AsyncsUpdated,
            $"Async chain {string.Join(" and ", parts)}: now {RuleContext.Ids(next.Async)}.");
    }
}
