using Akka.Actor;

namespace Appliance.Actors.Coordinator;

/// <summary>The coordinator's periodic tick: evaluate, expire leases, republish. Local only.</summary>
internal sealed record EvaluationTick : INoSerializationVerificationNeeded
{
    public static readonly EvaluationTick Instance = new();
}

/// <summary>The probe <paramref name="ProbeId"/> got no answer in time. Local only.</summary>
internal sealed record ProbeTimedOut(long ProbeId) : INoSerializationVerificationNeeded;
