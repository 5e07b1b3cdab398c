using System.Collections.Immutable;
using Appliance.Nodes.State;

namespace Appliance.Nodes.Placement;

/// <summary>
/// Where database instances run: pure decisions for the shard allocation strategy. Hosts are named by any stable
/// string (the strategy uses the shard region's address); each holds the instances placed on it.
/// </summary>
/// <remarks>
/// At most one instance per host wherever hosts allow it. With co-location allowed, an instance that finds no empty
/// host goes to the least-loaded one; without it, it stays unplaced until a host has room (a host joins, or the
/// instance's old host is gone). Ties are broken by the requesting host (it asked, so it is alive), then by name, so
/// the same inputs always give the same answer.
/// </remarks>
public static class PlacementRules
{
    /// <summary>The host for <paramref name="instanceId"/>, or null if it must stay unplaced for now.</summary>
    /// <param name="instanceId">The instance to place.</param>
    /// <param name="hosts">Every host that can hold instances, with the instances on it.</param>
    /// <param name="allowColocation">Whether a host may hold more than one instance.</param>
    /// <param name="requester">The host that asked (preferred on ties), if known.</param>
    public static string? ChooseHost(string instanceId, IReadOnlyDictionary<string, ImmutableArray<string>> hosts,
        bool allowColocation, string? requester = null)
    {
        var holder = hosts.FirstOrDefault(h => h.Value.Contains(instanceId));
        if (holder.Key is not null) return holder.Key;   // already placed: keep it where it is

        var ordered = hosts
            .OrderBy(h => h.Value.Length)
            .ThenBy(h => h.Key == requester ? 0 : 1)
            .ThenBy(h => h.Key, StringComparer.Ordinal)
            .ToList();
        if (ordered.Count == 0) return null;
        var best = ordered[0];
        return best.Value.Length == 0 || allowColocation ? best.Key : null;
    }

    /// <summary>
    /// The instances to move now: when a host is empty and another holds several instances (co-location used while
    /// hosts were short), one instance of the most loaded host moves to the empty host. At most one move at a time,
    /// and none while one is in progress: a move re-creates the instance (a clone), so moves are never batched.
    /// </summary>
    /// <param name="hosts">Every host with its instances.</param>
    /// <param name="inProgress">Instances being moved now.</param>
    public static ImmutableArray<string> ToMove(IReadOnlyDictionary<string, ImmutableArray<string>> hosts, IReadOnlySet<string> inProgress)
    {
        if (inProgress.Count > 0 || !hosts.Values.Any(v => v.Length == 0)) return [];
        var crowded = hosts
            .Where(h => h.Value.Length > 1)
            .OrderByDescending(h => h.Value.Length)
            .ThenBy(h => h.Key, StringComparer.Ordinal)
            .FirstOrDefault();
        if (crowded.Key is null) return [];
        // The highest-numbered instance moves: the newest, likely at the tail of the chain.
        return [crowded.Value.OrderByDescending(i => InstanceIds.NumberOf(i) ?? 0).ThenByDescending(i => i, StringComparer.Ordinal).First()];
    }

    /// <summary>The instances that share a host with another, by host; empty when every host holds at most one.</summary>
    public static ImmutableDictionary<string, ImmutableArray<string>> Colocated(IReadOnlyDictionary<string, ImmutableArray<string>> hosts) =>
        hosts.Where(h => h.Value.Length > 1).ToImmutableDictionary(h => h.Key, h => h.Value);
}
