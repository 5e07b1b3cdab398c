namespace Appliance.Nodes.State;

/// <summary>The primary's link to its sync as one read of <c>pg_stat_replication</c> saw it, during a planned stop.</summary>
/// <param name="Streaming">Its walsender streams live (rather than starting up or catching up).</param>
/// <param name="CaughtUp">Streaming, and the sync has flushed everything sent.</param>
/// <param name="State">The walsender's state as PostgreSQL names it, for the log.</param>
public sealed record SyncLink(bool Streaming, bool CaughtUp, string State);

/// <summary>What <see cref="ShutdownHandOver"/> tells a node that is stopping to do next.</summary>
public abstract record HandOverStep
{
    private HandOverStep() { }

    /// <summary>It is not the primary that plays its role: nothing to hand over, nothing to say.</summary>
    public sealed record NotPrimary : HandOverStep
    {
        /// <summary>The one value.</summary>
        public static readonly NotPrimary Instance = new();
    }

    /// <summary>A primary that stops without a switchover: <paramref name="Why"/>, a warning when <paramref name="Warn"/>.</summary>
    public sealed record StopWithout(string Why, bool Warn) : HandOverStep;

    /// <summary>Read the link to <paramref name="Sync"/> (again, after a short wait for it to catch up).</summary>
    public sealed record ReadSyncLink(PeerId Sync) : HandOverStep;

    /// <summary>Ask the coordinator for a switchover to <paramref name="Sync"/>, refused if the generation moved on meanwhile.</summary>
    public sealed record SwitchOver(PeerId Sync, long ExpectedGeneration) : HandOverStep;
}

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
