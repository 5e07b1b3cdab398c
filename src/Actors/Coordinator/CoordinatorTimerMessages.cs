using Akka.Actor;

namespace Appliance.Actors.Coordinator;

/// <summary>The coordinator's periodic tick: evaluate, expire leases, tell the nodes the state again. Local only.</summary>
internal sealed record EvaluationTick : INoSerializationVerificationNeeded
{
    public static readonly EvaluationTick Instance = new();
}

/// <summary>Time to republish the current state on the topic, for its subscribers. Local only.</summary>
internal sealed record TopicRepublishTick : INoSerializationVerificationNeeded
{
    public static readonly TopicRepublishTick Instance = new();
}

/// <summary>The probe <paramref name="ProbeId"/> got no answer in time. Local only.</summary>
internal sealed record ProbeTimedOut(long ProbeId) : INoSerializationVerificationNeeded;
