using Appliance.Nodes.State;

namespace Appliance.Nodes.Tests.State;

/// <summary>
/// The invariants between consecutive states (from Manatee's
/// <c>annotateHistoryNode</c>, plus its rules for deposed peers and the freeze rule of DESIGN §3). Throws with the pair that broke one.
/// </summary>
internal static class HistoryInvariants
{
    public static void Check(ClusterState? previous, Transition transition)
    {
        var next = transition.Next;
        var problems = next.Validate().ToList();
        if (previous is null)
        {
            if (transition.Reason != TransitionReason.InitialSetup) problems.Add("the first state is not an initial setup");
            if (next.Version != 1 || next.Generation != 1) problems.Add("the first state is not version 1, generation 1");
            Throw(problems, previous, transition);
            return;
        }

        var generationUp = next.Generation - previous.Generation;
        if (next.Version != previous.Version + 1) problems.Add("version did not advance by one");
        // One up, except where a promotion jumps past its candidate's timeline (a cluster bootstrapped from a backup):
        // exactly to one past it, which the new initHistory records.
        // A promoted standby cluster jumps past the source's timeline its leader followed, in the same way, or further:
        // past a later source timeline a member reports (ClusterPromotion).
        var clusterPromoted = transition.Reason == TransitionReason.ClusterPromoted;
        var jumped = generationUp > 1 && (!previous.Primary.Is(next.Primary) || clusterPromoted) && next.InitHistory is { } promoted
                     && (clusterPromoted ? next.Generation >= promoted.Timeline + 1L : next.Generation == promoted.Timeline + 1L);
        if (generationUp < 0 || (generationUp > 1 && !jumped)) problems.Add($"generation moved by {generationUp}");
        var newGeneration = generationUp >= 1;
        if (!previous.Singleton && next.Singleton) problems.Add("a normal cluster went back to singleton mode");
        if (previous.Singleton && !next.Singleton && !newGeneration) problems.Add("left singleton mode without a new generation");

        var primaryChanged = !previous.Primary.Is(next.Primary);
        var syncChanged = previous.Sync?.Id != next.Sync?.Id;
        // A forced failover (primary and sync both lost, data loss accepted) promotes another peer and deposes both.
        var forced = transition.Reason == TransitionReason.ForcedFailover;
        if (forced && !(next.IsDeposed(previous.Primary.Id) && next.IsDeposed(previous.Sync!.Id)))
            problems.Add("a forced failover did not depose both the old primary and the old sync");
        // A standby cluster's leader is replaced without a promotion: by its sync or an async, never by a newcomer (it
        // would have no data to lead with), within the cluster, in the next generation, with initWal kept; the old leader
        // leaves the state (it was never promoted, so there is nothing to depose), and nothing else changes the leader.
        var leaderReplaced = transition.Reason == TransitionReason.StandbyLeaderReplaced;
        if (leaderReplaced && !(previous.IsStandbyCluster && next.IsStandbyCluster && primaryChanged && generationUp == 1
                                && !next.Names(previous.Primary.Id) && previous.InitWal == next.InitWal && Equals(previous.InitHistory, next.InitHistory)
                                && (next.Primary.Is(previous.Sync) || previous.Async.Any(a => a.Is(next.Primary)))))
            problems.Add("a standby leader replacement did not hand the lead to the old sync or an async of the same standby cluster in the next generation, keeping initWal and dropping the old leader");
        if (previous.IsStandbyCluster && next.IsStandbyCluster && primaryChanged && !leaderReplaced)
            problems.Add($"the standby leader changed by {transition.Reason}");
        if (primaryChanged && !leaderReplaced)
        {
            if (!newGeneration) problems.Add("the primary changed within a generation");
            if (!forced && !next.Primary.Is(previous.Sync)) problems.Add($"new primary {next.Primary.Id} was not the sync ({previous.Sync?.Id})");
            if (!next.IsDeposed(previous.Primary.Id)) problems.Add($"old primary {previous.Primary.Id} was not deposed");
        }
        if (newGeneration && !primaryChanged && !syncChanged && !clusterPromoted) problems.Add("a new generation changed neither primary nor sync");
        // Only promote-cluster ends a standby cluster, by promoting its leader in place, and nothing makes one.
        if (!Equals(previous.StandbyOf, next.StandbyOf) && !(clusterPromoted && previous.IsStandbyCluster && !next.IsStandbyCluster))
            problems.Add($"the source changed from {previous.StandbyOf?.ToString() ?? "none"} to {next.StandbyOf?.ToString() ?? "none"} by {transition.Reason}");
        if (clusterPromoted && (!newGeneration || primaryChanged || syncChanged || !previous.Async.SequenceEqual(next.Async) || next.InitHistory is null))
            problems.Add("a cluster promotion did not keep the chain and start a generation with the leader's history");
        if (syncChanged && !newGeneration) problems.Add("the sync changed within a generation");
        if (generationUp == 0 && previous.InitWal != next.InitWal) problems.Add("initWal changed within a generation");
        // In production a takeover may declare initWal one partial record lower than the last (it is declared where
        // the promotion forks, ARCHITECTURE §4 "Positions are record ends"); the models' WAL is whole records only.
        if (next.InitWal < previous.InitWal && !forced) problems.Add($"initWal went back from {previous.InitWal} to {next.InitWal}");
        if (newGeneration && (previous.IsFrozen || next.IsFrozen)) problems.Add("a generation changed while frozen");

        var freezeChanged = !Equals(previous.Freeze, next.Freeze);
        if (freezeChanged != transition.Reason is TransitionReason.Frozen or TransitionReason.Unfrozen)
            problems.Add($"the freeze changed ({freezeChanged}) but the reason is {transition.Reason}");

        foreach (var gone in previous.Deposed.Where(d => !next.IsDeposed(d.Id)))
            if (transition.Reason is not (TransitionReason.Rebuilt or TransitionReason.Reaped or TransitionReason.Rejoined))
                problems.Add($"deposed peer {gone.Id} left the list by {transition.Reason}");
        foreach (var added in next.Deposed.Where(d => !previous.IsDeposed(d.Id)))
            if (!added.Is(previous.Primary) && !(forced && added.Is(previous.Sync))) problems.Add($"{added.Id} was deposed without having been the primary");
        Throw(problems, previous, transition);
    }

    private static void Throw(List<string> problems, ClusterState? previous, Transition t)
    {
        if (problems.Count > 0)
            throw new InvalidOperationException(
                $"History invariant broken by {t.Reason}: {string.Join("; ", problems)}\n  from {previous}\n  to   {t.Next}");
    }
}
