using System.Collections.Concurrent;
using Appliance.Nodes.State;

namespace Appliance.Actors.Placement;

/// <summary>
/// The instances the shard region runs on this host right now, for the host's HTTP API, its planned shutdown and
/// tests. Thread-safe: entities register and unregister from their actors, readers are anywhere.
/// </summary>
public sealed class LocalInstances
{
    private readonly ConcurrentDictionary<string, LocalInstance> _instances = new();

    /// <summary>The instances on this host, by instance number.</summary>
    public IReadOnlyList<LocalInstance> All =>
        [.. _instances.Values.OrderBy(i => InstanceIds.NumberOf(i.InstanceId) ?? int.MaxValue).ThenBy(i => i.InstanceId, StringComparer.Ordinal)];

    /// <summary>Records that <paramref name="instance"/> runs here.</summary>
    public void Add(LocalInstance instance) => _instances[instance.InstanceId] = instance;

    /// <summary>Records that the instance no longer runs here (only if it is still <paramref name="instance"/>).</summary>
    public void Remove(LocalInstance instance) => _instances.TryRemove(new KeyValuePair<string, LocalInstance>(instance.InstanceId, instance));
}
