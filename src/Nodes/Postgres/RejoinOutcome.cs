namespace Appliance.Nodes.Postgres;

/// <summary>The result of <see cref="RewindOrClone.RunAsync"/>.</summary>
/// <param name="Method">Rewound, or cloned after a failed rewind.</param>
/// <param name="RewindFailure">Why the rewind failed, when it did.</param>
/// <param name="Why">Why a rewind was needed at all, when a standby found its upstream's history forked below its WAL.</param>
public sealed record RejoinOutcome(RejoinMethod Method, string? RewindFailure, string? Why = null);
