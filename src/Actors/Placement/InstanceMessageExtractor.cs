using Akka.Cluster.Sharding;
using Appliance.Actors.Protocol;

namespace Appliance.Actors.Placement;

/// <summary>
/// Routes instance messages: one shard per instance, named like it (<c>pg-3</c>), so that the allocation strategy
/// places instances one by one.
/// </summary>
public sealed class InstanceMessageExtractor : IMessageExtractor
{
    /// <inheritdoc />
    public string? EntityId(object message) => message switch
    {
        InstanceProtocol.StartInstance m => m.InstanceId,
        InstanceProtocol.StopInstance m => m.InstanceId,
        _ => null,
    };

    /// <inheritdoc />
    public object? EntityMessage(object message) => message;

    /// <inheritdoc />
    public string? ShardId(object message) => EntityId(message);

    /// <inheritdoc />
    public string ShardId(string entityId, object? messageHint = null) => entityId;
}
