using System.Collections.Immutable;
using Akka.Actor;
using Appliance.Nodes.State;

namespace Appliance.Actors.Coordinator;

/// <summary>
/// One evaluation round: laps of evaluate → (probe → evaluate)* → persist → evaluate … until the rules come to rest.
/// Mutable, owned by the coordinator actor. The mirror of the test model's <c>Coordinate</c> loop.
/// </summary>
/// <param name="command">The operator command this round decides first, if any.</param>
internal sealed class EvaluationRound(QueuedCommand? command)
{
    /// <summary>A round that keeps writing is a rules bug (they converge in a few steps); stop it rather than write forever.</summary>
    public const int MaxTransitions = 64;

    /// <summary>The command still to be decided; cleared once a transition accepts it.</summary>
    public QueuedCommand? Command { get; private set; } = command;

    /// <summary>Positions read behind fences in this lap (since the last write).</summary>
    public ImmutableDictionary<string, FencedPosition> Fenced { get; private set; } = ImmutableDictionary<string, FencedPosition>.Empty;

    /// <summary>Peers that could not raise a fence in this lap; they count as PostgreSQL down.</summary>
    public ImmutableHashSet<string> Failed { get; private set; } = [];

    /// <summary>Every fence asked for in the whole round, in order, without repeats.</summary>
    public List<RaisedFence> Raised { get; } = [];

    /// <summary>When the round started (<see cref="System.Diagnostics.Stopwatch.GetTimestamp"/>), for its duration.</summary>
    public long StartedAt { get; } = System.Diagnostics.Stopwatch.GetTimestamp();

    /// <summary>When the round asked for its first fence, if it did: a switchover's writes stop there.</summary>
    public DateTimeOffset? FirstFenceAt { get; private set; }

    /// <summary>The probe whose answer the round waits for, if any.</summary>
    public PendingProbe? Pending { get; private set; }

    /// <summary>States written in this round.</summary>
    public int Transitions => WrittenStates.Count;

    /// <summary>The states written in this round, in order; a fence any of them used stays up at the round's end.</summary>
    public List<ClusterState> WrittenStates { get; } = [];

    /// <summary>True if the rules ask again for something this lap already has: answering again would loop.</summary>
    public bool AlreadyAsked(PositionProbe probe) =>
        Failed.Contains(probe.PeerId) || (Fenced.TryGetValue(probe.PeerId, out var read) && read.Fence == probe.Fence);

    /// <summary>Records that a fence was asked of <paramref name="node"/>; it may be up from now on, answered or not.</summary>
    /// <param name="pending">The probe.</param>
    /// <param name="node">The node asked.</param>
    /// <param name="owner">The fence's owner.</param>
    /// <param name="at">When it was asked.</param>
    public void Asked(PendingProbe pending, IActorRef node, FenceOwner owner, DateTimeOffset at)
    {
        Pending = pending;
        FirstFenceAt ??= at;
        var raised = new RaisedFence(pending.Probe.PeerId, pending.Probe.Fence, node, owner);
        if (!Raised.Contains(raised)) Raised.Add(raised);
    }

    /// <summary>The pending probe was answered with a position.</summary>
    public void Answered(Lsn position, TimelineHistory history, Lsn? received = null)
    {
        var probe = Pending!.Probe;
        Fenced = Fenced.SetItem(probe.PeerId, new FencedPosition(position, probe.Fence, history, received));
        Pending = null;
    }

    /// <summary>The pending probe failed or timed out.</summary>
    public void Unanswered()
    {
        Failed = Failed.Add(Pending!.Probe.PeerId);
        Pending = null;
    }

    /// <summary>
    /// A state was written: the command (if any) is decided, and positions read for the previous state no longer
    /// count (as in the model, every lap reads afresh).
    /// </summary>
    public void Written(ClusterState state)
    {
        WrittenStates.Add(state);
        Command = null;
        Fenced = Fenced.Clear();
        Failed = Failed.Clear();
    }
}
