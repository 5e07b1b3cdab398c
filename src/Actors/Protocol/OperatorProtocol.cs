using Appliance.Nodes.State;

namespace Appliance.Actors.Protocol;

/// <summary>Operator commands sent to the coordinator, and its answers.</summary>
public static class OperatorProtocol
{
    /// <summary>Apply <paramref name="Command"/>; the coordinator answers <see cref="Accepted"/> or <see cref="Refused"/>.</summary>
    /// <param name="Command">The command.</param>
    public sealed record Submit(OperatorCommand Command) : IApplianceMessage;

    /// <summary>The command was written as <paramref name="Recorded"/>.</summary>
    /// <param name="Recorded">The state written, with its reason.</param>
    public sealed record Accepted(ClusterStateProtocol.StateRecorded Recorded) : IApplianceMessage;

    /// <summary>The command was not applied, and nothing of it was.</summary>
    /// <param name="Reason">Why.</param>
    /// <param name="Detail">A sentence for the operator.</param>
    public sealed record Refused(RefusalReason Reason, string Detail) : IApplianceMessage;
}
