using System.Collections.Immutable;
using Appliance.Nodes.State;

namespace Appliance.Nodes.Tests.State;

/// <summary>
/// One evaluation as the coordinator runs it: while the rules ask for a fenced position, run the probe and evaluate
/// again with the answer. A peer that cannot answer is reported as down in the next observation.
/// </summary>
internal static class ProbingEvaluation
{
    /// <param name="state">The current state.</param>
    /// <param name="observe">Builds the observation from the positions read so far and the peers whose probe failed.</param>
    /// <param name="probe">Raises the fence and reads the position with its timeline history (and, on a standby, how far
    /// it received), or returns null when the peer does not answer.</param>
    public static Decision Run(
        ClusterState? state,
        Func<ImmutableDictionary<string, FencedPosition>, IReadOnlySet<string>, ClusterObservation> observe,
        Func<PositionProbe, (Lsn Position, TimelineHistory History, Lsn? Received)?> probe)
    {
        var fenced = ImmutableDictionary<string, FencedPosition>.Empty;
        var failed = new HashSet<string>();
        while (true)
        {
            var decision = ClusterRules.Evaluate(state, observe(fenced, failed));
            if (decision is not Refusal { Reason: RefusalReason.NeedsFencedPosition, Probe: { } asked })
                return decision;
            if (fenced.ContainsKey(asked.PeerId) || failed.Contains(asked.PeerId))
                throw new InvalidOperationException(
                    $"The rules asked twice for {asked} (read: {string.Join(", ", fenced)}; failed: {string.Join(", ", failed)}) in state {state}");
            if (probe(asked) is { } read) fenced = fenced.Add(asked.PeerId, new FencedPosition(read.Position, asked.Fence, read.History, read.Received));
            else failed.Add(asked.PeerId);
        }
    }
}
