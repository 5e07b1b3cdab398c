
namespace Appliance.Nodes.State;

/// <summary>
/// The operator's <c>scale --instances N</c> (placement mode). Growing records the new size; the hosts start the new
/// instances and async upkeep appends them at the tail. Shrinking records the new size and takes the instances above
/// it out of the async chain in the same write (the chain closes over them); the hosts then stop them, and upkeep
/// never takes them back (<see cref="RuleContext.WithinSize"/>).
/// </summary>
internal static class Scaling
{
    /// <summary>The fewest instances a normal cluster runs without force: primary, sync and one async.</summary>
    public const int Minimum = 3;

    public static Decision Decide(RuleContext ctx, int instances, bool force)
    {
        var state = ctx.State;
        if (!ctx.Observation.ReapReplacedIncarnations)
            return new Refusal(RefusalReason.InvalidRequest,
                "Scaling needs placement mode (nodes started with --pg-base-port and --data-root); in single-instance mode, start or stop nodes instead.");
        if (instances < 1)
            return new Refusal(RefusalReason.InvalidRequest, $"A cluster needs at least one instance; {instances} is not a size.");
        var minimum = state.Singleton ? 1 : Minimum;
        if (instances < minimum && !force)
            return new Refusal(RefusalReason.BelowMinimum,
                $"{instances} instances is below the minimum of {minimum}{(state.Singleton ? " in singleton mode" : " (primary, sync and one async)")}; add --force to go there anyway.");
        if (state.Instances == instances)
            return new Refusal(RefusalReason.InvalidRequest, $"The cluster is already scaled to {instances} instances.");

        var removed = state.NamedPeers.Where(p => !state.IsDeposed(p.Id) && InstanceIds.NumberOf(InstanceIds.InstanceOf(p.Id)) is { } n && n > instances).ToList();
        var writer = removed.FirstOrDefault(p => state.Primary.Is(p) || (state.Sync?.Is(p) ?? false));
        if (writer is not null)
            return new Refusal(RefusalReason.SwitchoverFirst,
                $"Scaling to {instances} would remove {writer.Id}, which is the {(state.Primary.Is(writer) ? "primary" : "sync")}; switch over first (appliance switchover --to …) so that it becomes an async.");

        var next = ctx.Next() with { Instances = instances, Async = state.Async.RemoveAll(a => removed.Any(r => r.Is(a))) };
        var detail = removed.Count > 0
            ? $"Scaled to {instances} instances: {RuleContext.Ids(removed)} left the async chain (now {RuleContext.Ids(next.Async)}) and stop."
            : $"Scaled to {instances} instances (from {state.Instances?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "the configured size"}): new instances join the async tail as they start.";
        return new Transition(next, TransitionReason.Scaled, detail);
    }
}
