namespace Appliance.Nodes.State;

/// <summary>Write <see cref="Next"/> (one compare-and-set on the current version), then act on it.</summary>
/// <param name="Next">The new state; its version is the current version plus one.</param>
/// <param name="Reason">Why, for history and logs.</param>
/// <param name="Detail">A sentence for operators.</param>
public sealed record Transition(ClusterState Next, TransitionReason Reason, string Detail) : Decision;
