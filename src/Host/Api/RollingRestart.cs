using System.Diagnostics;
using System.Runtime.CompilerServices;
using Appliance.Actors.Protocol;
using Appliance.Host.Node;
using Appliance.Nodes.Postgres;
using Appliance.Nodes.State;

namespace Appliance.Host.Api;

/// <summary>
/// <c>appliance restart</c>: restarts PostgreSQL across the cluster while it takes writes. The asyncs go first (tail
/// first), then the sync (commits wait while it restarts, as for any sync restart, and go on as soon as it streams
/// again), then the primary by a switchover to the sync: the old primary is deposed, rewinds and starts again as a
/// standby, with the new settings, and rejoins the chain. The only write gap beyond the sync's restart is that one
/// switchover. Each step waits until the peer streams again, and feeds the downstream it fed before, before the next
/// begins; a failed step stops the roll.
/// </summary>
/// <param name="access">The coordinator, for the state and the switchover.</param>
/// <param name="prober">Reads each peer over SQL (pending restarts, who streams).</param>
/// <param name="command">Sends a node command and waits for its outcome.</param>
public sealed class RollingRestart(ClusterAccess access, PeerProber prober,
    Func<string, NodeCommandProtocol.Action, TimeSpan, CancellationToken, Task<NodeCommandProtocol.Outcome>> command)
{
    /// <summary>How long one node may take to restart.</summary>
    public static readonly TimeSpan RestartTimeout = TimeSpan.FromMinutes(3);

    /// <summary>How long a restarted standby (or a switched-over primary) may take to stream again.</summary>
    public static readonly TimeSpan StreamTimeout = TimeSpan.FromMinutes(3);

    /// <summary>The order: asyncs from the tail, then the sync, then the primary.</summary>
    public static IReadOnlyList<PeerId> Order(ClusterState state) =>
        [.. state.Async.Reverse(), .. state.Sync is null ? Array.Empty<PeerId>() : [state.Sync], state.Primary];

    /// <summary>Runs the roll over the peers of <paramref name="state"/> (all, or <paramref name="only"/>), yielding each step.</summary>
    public async IAsyncEnumerable<NodeStepDto> RunAsync(ClusterState state, bool pendingOnly, IReadOnlyList<string> only,
        [EnumeratorCancellation] CancellationToken ct)
    {
        var views = (await prober.ProbeAsync(state, ct)).ToDictionary(p => p.Id);
        var ok = true;
        foreach (var peer in Order(state))
        {
            if (only.Count > 0 && !only.Contains(peer.Id)) continue;
            var pending = views.TryGetValue(peer.Id, out var view) ? view.PendingRestart ?? [] : [];
            if (pendingOnly && pending.Count == 0)
            {
                yield return new NodeStepDto(peer.Id, "skipped", true, "no restart pending");
                continue;
            }
            var isPrimary = state.Primary.Is(peer) && !state.Singleton;
            yield return new NodeStepDto(peer.Id, isPrimary ? "switchover" : "restarting", true,
                (isPrimary ? $"primary: switching over to {state.Sync!.Id}, then it restarts as a standby" : "restarting")
                + (pending.Count > 0 ? $" (pending: {string.Join(", ", pending)})" : ""));
            var clock = Stopwatch.StartNew();
            var failure = isPrimary ? await SwitchOverAsync(state, ct) : await RestartStandbyAsync(peer.Id, FedDownstream(state, views, peer.Id), ct);
            if (failure is not null)
            {
                yield return new NodeStepDto(peer.Id, failure.StartsWith("not restarted", StringComparison.Ordinal) ? "skipped" : "failed",
                    false, failure);
                ok = false;
                break;
            }
            yield return new NodeStepDto(peer.Id, "restarted", true,
                $"{(isPrimary ? "switched over; restarted as a standby" : "restarted")} and streaming again after {clock.Elapsed.TotalSeconds:0.0} s");
        }
        yield return new NodeStepDto("", "done", ok, ok ? "rolling restart complete" : "rolling restart stopped");
    }

    /// <summary>
    /// The downstream that <paramref name="peer"/> fed when the roll began, if any. A standby's restart cuts its
    /// downstream's receiver too, and PostgreSQL connects that one again only after <c>wal_retrieve_retry_interval</c>
    /// (1 s in <c>appliance.conf</c>, 5 s before). The next step must not begin before it does: after the sync's restart that downstream is async[0], which
    /// the switchover makes the new primary's sync, and until it streams the new primary takes no writes (CI at 1fc0c9f:
    /// the roll's switchover paused writes 7.9 s, against 4.5 and 4.8 s for a switchover on a whole chain).
    /// </summary>
    internal static string? FedDownstream(ClusterState state, IReadOnlyDictionary<string, PeerViewDto> views, string peer) =>
        state.RoleOf(peer).Downstream is { } downstream && views.TryGetValue(peer, out var view) && Streams(view, downstream.Id)
            ? downstream.Id
            : null;

    private static bool Streams(PeerViewDto upstream, string downstream) =>
        upstream.Downstreams.Any(d => d.Name == downstream && d.State == DownstreamStatus.StreamingState);

    private async Task<string?> RestartStandbyAsync(string peer, string? downstream, CancellationToken ct)
    {
        var outcome = await command(peer, NodeCommandProtocol.Action.Restart, RestartTimeout, ct);
        if (!outcome.Done) return outcome.Detail;
        return await WaitStreamingAsync(peer, downstream, ct);
    }

    private async Task<string?> SwitchOverAsync(ClusterState planned, CancellationToken ct)
    {
        var old = planned.Primary.Id;
        var asking = Stopwatch.StartNew();
        while (true)
        {
            // The state may have moved on since the roll began (a relief move, a failover): decide on the current one.
            var current = (await access.CoordinatorStateAsync(TimeSpan.FromSeconds(3), ct))?.State ?? planned;
            if (!current.Primary.Is(old))
                return current.Names(old) ? await RestartStandbyAsync(old, null, ct) : $"failed: {old} is no longer named by the state";
            var answer = await access.SubmitAsync(new OperatorCommand.Switchover { ExpectedGeneration = current.Generation }, ct);
            // A sync restarted a moment ago streams again before its next report reaches the coordinator, which until
            // then takes its PostgreSQL for down and refuses as offline. That refusal passes with the report, so ask
            // again (CI at 393fa57: the sync streamed 0.2 s after its restart and the switchover was refused).
            if (answer is OperatorProtocol.Refused { Reason: RefusalReason.DatabaseOffline } && asking.Elapsed < StreamTimeout)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(500), ct);
                continue;
            }
            if (answer is OperatorProtocol.Refused r) return $"failed: switchover refused ({r.Reason}): {r.Detail}";
            if (answer is not OperatorProtocol.Accepted) return $"failed: the coordinator answered {answer.GetType().Name}";
            return await WaitStreamingAsync(old, null, ct);
        }
    }

    /// <summary>
    /// Waits until the state gives <paramref name="peer"/> a standby role and its upstream shows it streaming, and, when
    /// <paramref name="downstream"/> is named and the state still gives it to <paramref name="peer"/>, until
    /// <paramref name="peer"/> feeds that downstream again.
    /// </summary>
    private async Task<string?> WaitStreamingAsync(string peer, string? downstream, CancellationToken ct)
    {
        var deadline = Stopwatch.StartNew();
        var last = "no state";
        while (deadline.Elapsed < StreamTimeout)
        {
            if ((await access.CoordinatorStateAsync(TimeSpan.FromSeconds(2), ct))?.State is { } state)
            {
                var role = state.RoleOf(peer);
                if (role.Upstream is { } upstream)
                {
                    var views = await prober.ProbeAsync(state, ct);
                    var up = views.FirstOrDefault(v => v.Id == upstream.Id);
                    var self = views.FirstOrDefault(v => v.Id == peer);
                    var streaming = up is not null && Streams(up, peer) && self is { Reachable: true, InRecovery: true };
                    // Only while the state still names that downstream: a relief move may have re-pointed it meanwhile.
                    if (streaming && (downstream is null || role.Downstream?.Id != downstream || Streams(self!, downstream)))
                        return null;
                    last = streaming
                        ? $"{peer} streams from {upstream.Id} but {downstream} does not stream from it yet"
                        : $"{peer} is {role.Role.ToString().ToLowerInvariant()} of {upstream.Id} but does not stream yet";
                }
                else last = $"{peer} is {role.Role.ToString().ToLowerInvariant()} in state v{state.Version}";
            }
            await Task.Delay(TimeSpan.FromMilliseconds(250), ct);
        }
        return $"failed: {peer} did not stream again within {StreamTimeout.TotalSeconds:0} s ({last})";
    }
}
