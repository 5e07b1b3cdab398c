using Appliance.Host.Api;
using Appliance.Nodes.Postgres;

namespace Appliance.Host.Cli;

/// <summary>
/// The checks of <c>verify</c>, after manatee-adm's: one sentence per problem; none means healthy.
/// Lag is not a problem. A freeze is reported by <c>status</c>, not counted here: it is an operator's decision.
/// </summary>
public static class Verify
{
    /// <summary>Every problem of <paramref name="view"/>.</summary>
    public static IReadOnlyList<string> Problems(ClusterViewDto view)
    {
        var problems = new List<string>();
        if (!view.CoordinatorReachable)
            problems.Add($"the coordinator did not answer {view.AnsweredBy}: the cluster may have lost its majority or be electing a new coordinator");
        if (view.StateRefused is { } refused)
            problems.Add($"{view.AnsweredBy} refuses the coordinator's state: {refused}");
        if (view.State is not { } state)
        {
            problems.Add("the cluster has no state yet: it is still being set up (it needs at least 2 members that have reported)");
            // Why it is not set up, when the coordinator has said so (nodes that disagree on --standby-of, data found).
            if (view.LastRefusal is { } waiting)
                problems.Add($"the coordinator does not set the cluster up ({waiting.Reason}): {waiting.Detail}");
            return problems;
        }
        if (view.StateFromStore)
            problems.Add($"no coordinator runs, so the state shown (v{state.Version}) is the last one written to the state store; a coordinator starts once at least 2 database nodes are members of the cluster");
        if (view.LastRefusal is { } refusal)
            problems.Add($"the coordinator cannot make a change the cluster needs ({refusal.Reason}): {refusal.Detail}");
        // Backups are checked by the answering node on its own clock (BackupHealth); a cluster without a repository has none.
        if (view.Backups is { } backups) problems.AddRange(backups.Problems.Select(p => $"backups: {p}"));

        var peers = view.Peers.ToDictionary(p => p.Id);
        PeerViewDto? Peer(PeerDto? p) => p is null ? null : peers.GetValueOrDefault(p.Id);

        if (state.Sync is { } lostSync && Peer(state.Primary) is { Reachable: false } lostPrimary && Peer(lostSync) is { Reachable: false })
            problems.Add($"primary {lostPrimary.Id} and sync {lostSync.Id} are both unreachable: only they are known to hold every acknowledged write, so no async may take over; the cluster takes no writes and waits until one of them runs again (start its node)");

        if (Peer(state.Primary) is { } primary)
        {
            if (!primary.Reachable) problems.Add($"cannot query postgres on primary {primary.Id}: {primary.Error}");
            else if (state.StandbyOf is { } source)
            {
                // A standby cluster's leader is a standby of its source by design, and read-only.
                if (!primary.InRecovery) problems.Add($"standby leader {primary.Id} is not in recovery: it no longer follows {source}");
            }
            else if (primary.InRecovery) problems.Add($"primary {primary.Id} is still in recovery (a standby), so it takes no writes");
            else if (!primary.ReadWrite) problems.Add($"primary {primary.Id} is read-only: it waits for its sync to catch up, or fenced itself");
        }
        if (state.Singleton)
        {
            if (state.Async.Count > 0 || state.Sync is not null)
                problems.Add($"found {1 + state.Async.Count + (state.Sync is null ? 0 : 1)} peers in singleton mode");
            return problems;
        }
        if (view.Instances is { } configured)
        {
            var running = 1 + (state.Sync is null ? 0 : 1) + state.Async.Count;
            if (running < configured)
                problems.Add($"cluster runs on {running} of {configured} instances: the missing instance is not placed (every host holds one and appliance.placement.allow-colocation is off); it starts when a host joins");
            foreach (var shared in Colocated(state))
                problems.Add($"host {shared.Key} holds {shared.Count()} instances ({string.Join(", ", shared)}): co-location is allowed, but losing that host loses them all");
        }
        if (Peer(state.Sync) is { Reachable: false } sync) problems.Add($"cannot query postgres on sync {sync.Id}: {sync.Error}");
        if (state.Async.Count == 0) problems.Add("cluster has no async peers: one more failure leaves no candidate for a new sync");
        foreach (var a in state.Async.Select(Peer).OfType<PeerViewDto>().Where(a => !a.Reachable))
            problems.Add($"cannot query postgres on async {a.Id}: {a.Error}");
        foreach (var d in state.Deposed)
            problems.Add($"cluster has a deposed peer {d.Id}: it rewinds and rejoins by itself when it runs (rejoin = auto); otherwise 'appliance rebuild {d.Id}' or, if it is gone for good, 'appliance reap {d.Id}'");

        var chain = new[] { state.Primary, state.Sync }.Concat(state.Async).OfType<PeerDto>().ToList();
        for (var i = 0; i + 1 < chain.Count; i++)
        {
            var up = Peer(chain[i]);
            var down = chain[i + 1];
            if (up is not { Reachable: true }) continue;
            // A standby leader is itself a standby: PostgreSQL streams to its downstream asynchronously (cascading).
            var expected = i == 0 && state.StandbyOf is null ? "sync" : "async";
            var row = up.Downstreams.FirstOrDefault(d => d.Name == down.Id);
            if (row is null)
            {
                var others = up.Downstreams.Where(d => !d.Name.StartsWith("appliance-clone:", StringComparison.Ordinal)).ToList();
                problems.Add(others.Count == 1
                    ? $"{up.Id}: expected downstream peer to be {down.Id}, but found {others[0].Name}"
                    : $"{up.Id}: downstream replication peer {down.Id} not connected");
                continue;
            }
            if (row.State != DownstreamStatus.StreamingState)
                problems.Add($"{up.Id}: downstream replication to {down.Id} not yet established (expected state 'streaming', found '{row.State}')");
            else if (row.SyncState != expected)
                problems.Add($"{up.Id}: expected downstream replication to {down.Id} to be '{expected}', but found '{row.SyncState}'");
        }
        return problems;
    }

    /// <summary>Placement mode: peers (<c>pg-N.HOST</c>) grouped by host, for hosts with more than one.</summary>
    private static IEnumerable<IGrouping<string, string>> Colocated(StateDto state) =>
        new[] { state.Primary, state.Sync }.Concat(state.Async).OfType<PeerDto>()
            .Select(p => p.Id)
            .Where(id => id.Contains('.', StringComparison.Ordinal))
            .GroupBy(id => id[(id.IndexOf('.', StringComparison.Ordinal) + 1)..])
            .Where(g => g.Count() > 1);
}
