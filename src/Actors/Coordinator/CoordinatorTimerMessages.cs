using Akka.Actor;

namespace Appliance.Actors.Coordinator;

/// <summary>Messages a <see cref="ClusterStateCoordinator"/> sends itself on its timers. Local only.</summary>
internal static class CoordinatorTimerMessages
{
    /// <summary>The periodic tick: evaluate, expire leases, tell the nodes the state again.</summary>
    public sealed record EvaluationTick : INoSerializationVerificationNeeded
    {
        public static readonly EvaluationTick Instance = new();
    }

    /// <summary>Time to republish the current state on the topic, for its subscribers.</summary>
    public sealed record TopicRepublishTick : INoSerializationVerificationNeeded
    {
        public static readonly TopicRepublishTick Instance = new();
    }

    /// <summary>The probe <paramref name="ProbeId"/> got no answer in time.</summary>
    public sealed record ProbeTimedOut(long ProbeId) : INoSerializationVerificationNeeded;
}
