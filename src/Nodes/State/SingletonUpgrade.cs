namespace Appliance.Nodes.State;

/// <summary>
/// A singleton cluster whose configuration now says normal takes a sync once it is unfrozen and another peer is
/// present. The sync is the first such peer in join order (Manatee's choice; Flynn took the last), so that the
/// outcome does not depend on anything but the observation. A cluster still configured for singleton mode stays as
/// it is, whoever joins.
/// </summary>
internal static class SingletonUpgrade
{
    public static Decision Decide(RuleContext ctx)
    {
        var state = ctx.State;
        var primary = state.Primary;
        if (!ctx.IsPresent(primary))
            return new Refusal(RefusalReason.PrimaryAndSyncLost,
                $"Singleton primary {primary.Id} is gone and no replica of it exists; the cluster takes no writes until it returns.");
        if (ctx.Observation.Mode == ClusterMode.Singleton)
            return Decision.None;
        const string wanted = "Leaving singleton mode";
        if (state.IsFrozen) return Refusals.Frozen(state, wanted);
        // Join order, but a peer tagged nofailover never becomes the sync.
        System.Collections.Immutable.ImmutableArray<PeerId> others = [.. ctx.Newcomers.Where(ctx.MayLead), .. ctx.Newcomers.Where(n => !ctx.MayLead(n))];
        if (!others.IsEmpty && !ctx.MayLead(others[0]))
            return new Refusal(RefusalReason.NotEnoughPeers, $"{wanted} needs a second peer not tagged nofailover to become the sync; none is present.");
        if (others.IsEmpty)
            return new Refusal(RefusalReason.NotEnoughPeers, $"{wanted} needs a second peer to become the sync; none is present.");
        if (ctx.IsDown(primary)) return Refusals.Offline(primary, wanted);
        var fence = new WalFence.NameSync(others[0].Id);
        if (ctx.FencedPosition(primary, fence) is not { } fenced) return Refusals.NeedsPosition(primary, fence, wanted);
        var position = fenced.Position;

        var next = ctx.NextGeneration() with
        {
            Singleton = false,
            Sync = others[0],
            Async = others.RemoveAt(0),
            InitWal = position,
            InitHistory = fenced.History,
        };
        return new Transition(next, TransitionReason.SingletonToNormal,
            $"Left singleton mode: {others[0].Id} is the sync of {primary.Id}, asyncs {RuleContext.Ids(next.Async)} (initWal {position}).");
    }
}
