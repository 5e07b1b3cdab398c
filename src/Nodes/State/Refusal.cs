namespace Appliance.Nodes.State;

/// <summary>A change is wanted but not safe or not possible now.</summary>
/// <param name="Reason">Why.</param>
/// <param name="Detail">A sentence for operators that says what is missing and what would unblock it.</param>
/// <param name="Probe">With <see cref="RefusalReason.NeedsFencedPosition"/>: whom to fence and read, and how.</param>
public sealed record Refusal(RefusalReason Reason, string Detail, PositionProbe? Probe = null) : Decision;
