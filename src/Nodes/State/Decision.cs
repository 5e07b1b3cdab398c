namespace Appliance.Nodes.State;

/// <summary>The outcome of evaluating the rules: nothing to do, a new state, or a refusal with its reason.</summary>
public abstract record Decision
{
    private protected Decision() { }

    /// <summary>Nothing needs to change.</summary>
    public static readonly NoChange None = new();
}

/// <summary>The state is as it should be, or as it can be for now.</summary>
/// <param name="Deferred">
/// When a planned change (one no fault calls for) is wanted but waits: which change, and what it waits for. The
/// coordinator logs it when it changes, so that an operator can see why, say, the primary stays on its host.
/// </param>
public sealed record NoChange(string? Deferred = null) : Decision;

/// <summary>Write <see cref="Next"/> (one compare-and-set on the current version), then act on it.</summary>
/// <param name="Next">The new state; its version is the current version plus one.</param>
/// <param name="Reason">Why, for history and logs.</param>
/// <param name="Detail">A sentence for operators.</param>
public sealed record Transition(ClusterState Next, TransitionReason Reason, string Detail) : Decision;

/// <summary>A change is wanted but not safe or not possible now.</summary>
/// <param name="Reason">Why.</param>
/// <param name="Detail">A sentence for operators that says what is missing and what would unblock it.</param>
/// <param name="Probe">With <see cref="RefusalReason.NeedsFencedPosition"/>: whom to fence and read, and how.</param>
public sealed record Refusal(RefusalReason Reason, string Detail, PositionProbe? Probe = null) : Decision;
