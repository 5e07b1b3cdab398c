using System.Collections.Immutable;

namespace Appliance.Nodes.State;

/// <summary>
/// The first state of a cluster: the first member to join is primary, the second sync, the rest asyncs in join
/// order; in singleton mode the first member alone, frozen. Peers on the coordinator's own host go last when enough
/// others can lead, so that <see cref="CoordinatorHostRelief"/> has nothing to move.
/// </summary>
/// <remarks>
/// The first member to join is the oldest, and the coordinator singleton runs on the oldest member: join order alone
/// would put the primary on the coordinator's host, and the relief would then move it by a switchover (a write pause)
/// once the cluster had been quiet for <c>relieve-host-after</c>. The coordinator already lists its own peer last in
/// the observation's members; the rule does not rely on that order. With only two members present at setup the
/// coordinator's host still becomes the sync. The new cluster holds no data yet, so the order is free.
/// </remarks>
internal static class InitialSetup
{
    /// <summary>The reason a singleton cluster starts frozen (Flynn's wording).</summary>
    public const string SingletonFreezeReason = "cluster started in singleton mode";

    public static Decision Decide(ClusterObservation observation)
    {
        var members = observation.Members;
        var needed = observation.Mode == ClusterMode.Singleton ? 1 : 2;
        if (observation.StandbyOf is not null && observation.Mode == ClusterMode.Singleton)
            return new Refusal(RefusalReason.ModeMismatch, "A standby cluster does not run in singleton mode; start its nodes without one of --standby-of and --mode singleton.");
        if (members.Length < needed)
            return new Refusal(RefusalReason.NotEnoughPeers,
                $"Setting the cluster up needs {needed} peer(s) in {observation.Mode} mode; {members.Length} present.");

        var unreported = members.Where(m => observation.ReportOf(m.Id) is null).ToList();
        if (unreported.Count > 0)
            return new Refusal(RefusalReason.AwaitingReports,
                $"Waiting for the first status report of {RuleContext.Ids(unreported)} before setting the cluster up.");

        // The coordinator's own --standby-of decides what is set up, so a member configured otherwise would be set up as
        // something it was not meant to be: above all a second site, one node of which lacks the flag, as a writable cluster.
        var disagreeing = members.Where(m => !StandbySource.Same(observation.ReportOf(m.Id)!.StandbyOf, observation.StandbyOf)).ToList();
        if (disagreeing.Count > 0)
            return new Refusal(RefusalReason.ModeMismatch,
                $"The nodes disagree on --standby-of / --standby-from-repo: the coordinator's node has {Describe(observation.StandbyOf)}, but " +
                string.Join(", ", disagreeing.Select(m => $"{m.Id} has {Describe(observation.ReportOf(m.Id)!.StandbyOf)}")) +
                ". Nothing is set up until they agree: start every node of a standby cluster with the same --standby-of (or --standby-from-repo), and no node of a normal cluster with either " +
                "(the coordinator's node may be the one that is wrong).");

        // A peer with data and no state means the state store was lost or pointed elsewhere. Picking a primary by
        // join order could crown a stale replica and silently drop acknowledged writes, so an operator decides.
        var withData = members.Where(m => observation.ReportOf(m.Id)!.HasExistingData).ToList();
        if (withData.Count > 0)
            return new Refusal(RefusalReason.ExistingData,
                $"No cluster state exists, but {RuleContext.Ids(withData)} already hold(s) a database; refusing to bootstrap over it. " +
                "Restore the state store, or move the old data directories away if the data is not wanted.");

        // Peers tagged nofailover never lead: the first two others in join order are primary and sync.
        var leaders = members.Where(m => observation.MayLead(m.Id)).ToList();
        if (leaders.Count < needed)
            return new Refusal(RefusalReason.NotEnoughPeers,
                $"Setting the cluster up needs {needed} peer(s) not tagged nofailover; {leaders.Count} present.");
        leaders = AwayFromCoordinator(leaders, observation.Coordinator, needed);
        var chosen = leaders.Take(needed).ToList();
        members = [.. chosen, .. AwayFromCoordinator([.. members.Where(m => !chosen.Contains(m))], observation.Coordinator, 0)];
        var first = new ClusterState { Version = 1, Generation = 1, Primary = members[0], InitWal = Lsn.Zero, InitHistory = TimelineHistory.First,
            ClusterId = observation.NewClusterId, StandbyOf = observation.StandbyOf };
        if (observation.Mode == ClusterMode.Singleton)
        {
            var singleton = first with { Singleton = true, Freeze = new FreezeInfo(SingletonFreezeReason, observation.Now) };
            return new Transition(singleton, TransitionReason.InitialSetup,
                $"Cluster set up in singleton mode with {members[0].Id} as its only, writable, primary.");
        }

        var normal = first with { Sync = members[1], Async = ImmutableArray.Create(members, 2, members.Length - 2) };
        if (normal.StandbyOf is { } source)
            return new Transition(normal, TransitionReason.InitialSetup,
                $"Standby cluster set up, following {source}: standby leader {members[0].Id}, sync {members[1].Id}, asyncs {RuleContext.Ids(normal.Async)}.");
        return new Transition(normal, TransitionReason.InitialSetup,
            $"Cluster set up: primary {members[0].Id}, sync {members[1].Id}, asyncs {RuleContext.Ids(normal.Async)}.");
    }

    private static string Describe(StandbySource? source) => source is null ? "none" : source.Flag;

    /// <summary>
    /// <paramref name="peers"/> in join order, with those on the coordinator's host moved to the end, if at least
    /// <paramref name="needed"/> others remain ahead of them; otherwise unchanged. Unchanged too when the relief is off
    /// (<paramref name="coordinator"/> null): the operator then chose not to keep roles off that host.
    /// </summary>
    private static List<PeerId> AwayFromCoordinator(List<PeerId> peers, CoordinatorHost? coordinator, int needed)
    {
        if (coordinator is null) return peers;
        var elsewhere = peers.Where(p => !coordinator.Runs(p)).ToList();
        return elsewhere.Count >= needed ? [.. elsewhere, .. peers.Where(coordinator.Runs)] : peers;
    }
}
