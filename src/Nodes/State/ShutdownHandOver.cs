namespace Appliance.Nodes.State;

/// <summary>
/// The hand-over of a planned stop (SIGTERM): a primary with a streaming sync asks for a switchover to it before it
/// stops, so that the new primary takes writes within a second or two instead of after a failure detector's timeout.
/// </summary>
/// <remarks>
/// A streaming sync is enough, caught up or not: synchronous replication already holds every acknowledged commit
/// there, and the switchover itself waits for the sync to catch up. Under a steady write load the sync is rarely
/// caught up at one instant, so the node waits briefly for that first. The coordinator decides the switchover by its
/// own rules (<see cref="ClusterRules"/>); this only chooses whether to ask.
/// </remarks>
public static class ShutdownHandOver
{
    /// <summary>The first step for <paramref name="self"/>, which plays <paramref name="applied"/> under <paramref name="state"/>.</summary>
    public static HandOverStep Begin(ClusterState? state, PeerId self, PeerRole applied)
    {
        if (state is null || !state.Primary.Is(self) || applied != PeerRole.Primary) return HandOverStep.NotPrimary.Instance;
        if (state.IsStandbyCluster)
            return new HandOverStep.StopWithout("it leads a standby cluster, which takes no writes: its sync takes the lead once it has gone", Warn: false);
        if (state.Singleton || state.Sync is not { } sync)
            return new HandOverStep.StopWithout("it is a singleton primary: nobody to hand over to", Warn: false);
        if (state.IsFrozen)
            return new HandOverStep.StopWithout("it is the primary of a frozen cluster: no switchover; writes stop until it returns or the cluster is unfrozen", Warn: true);
        return new HandOverStep.ReadSyncLink(sync);
    }

    /// <summary>
    /// The step after reading the link to the state's sync (<paramref name="link"/>; null when the sync is not connected),
    /// <paramref name="waited"/> into a wait for it to catch up of at most <paramref name="catchUpWait"/>.
    /// </summary>
    public static HandOverStep OnSyncLink(ClusterState state, SyncLink? link, TimeSpan waited, TimeSpan catchUpWait)
    {
        var sync = state.Sync ?? throw new ArgumentException($"State v{state.Version} has no sync to hand over to.", nameof(state));
        if (link is not { Streaming: true })
            return new HandOverStep.StopWithout($"sync {sync.Id} is not streaming ({link?.State ?? "not connected"}); stopping without a switchover", Warn: true);
        if (!link.CaughtUp && waited < catchUpWait) return new HandOverStep.ReadSyncLink(sync);
        return new HandOverStep.SwitchOver(sync, state.Generation);
    }
}
