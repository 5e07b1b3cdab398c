namespace Appliance.Actors.Protocol;

/// <summary>Messages to database instances through the shard region (placement by sharding).</summary>
internal static class InstanceProtocol
{
    /// <summary>
    /// Makes sure instance <paramref name="InstanceId"/> runs somewhere: the shard region routes it to the host the
    /// placement strategy chose (starting the entity there if it does not run yet). Idempotent; the instance starter
    /// sends it for every instance of the cluster size on a timer.
    /// </summary>
    /// <param name="InstanceId">The instance (<c>pg-1</c> … <c>pg-N</c>).</param>
    public sealed record StartInstance(string InstanceId) : IApplianceMessage;

    /// <summary>
    /// Stops instance <paramref name="InstanceId"/> for good (scaling down): the entity passivates, which also
    /// removes it from the remembered entities, and stops its PostgreSQL. The peer then leaves the state by the
    /// ordinary async upkeep.
    /// </summary>
    /// <param name="InstanceId">The instance.</param>
    public sealed record StopInstance(string InstanceId) : IApplianceMessage;
}
