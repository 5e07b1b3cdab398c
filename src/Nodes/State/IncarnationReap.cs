
namespace Appliance.Nodes.State;

/// <summary>
/// With placement by sharding, a deposed peer that is gone while another incarnation of the same instance is present
/// leaves the deposed list: its host is lost and the instance was re-created elsewhere, so nothing will ever rewind
/// it. This is the operator's <c>reap</c>, done by the rules because the re-creation proves the old incarnation gone.
/// </summary>
/// <remarks>
/// Only when <see cref="ClusterObservation.ReapReplacedIncarnations"/> is set (sharded placement), where peer ids are
/// <c>INSTANCE.HOST</c>. A deposed incarnation that is still a member is never reaped: it rewinds and rejoins as usual.
/// </remarks>
internal static class IncarnationReap
{
    public static Decision Decide(RuleContext ctx)
    {
        if (!ctx.Observation.ReapReplacedIncarnations)
            return Decision.None;
        var state = ctx.State;
        foreach (var deposed in state.Deposed.Where(d => !ctx.IsPresent(d)))
        {
            var instance = InstanceIds.InstanceOf(deposed.Id);
            var successor = ctx.Observation.Members.FirstOrDefault(m => !m.Is(deposed) && InstanceIds.InstanceOf(m.Id) == instance);
            if (successor is null) continue;
            var next = ctx.Next() with { Deposed = state.Deposed.RemoveAll(d => d.Is(deposed)) };
            return new Transition(next, TransitionReason.IncarnationReplaced,
                $"Deposed peer {deposed.Id} is gone and instance {instance} runs again as {successor.Id} ({successor.Host}:{successor.Port}); reaped {deposed.Id}.");
        }
        return Decision.None;
    }
}
