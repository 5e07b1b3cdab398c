using System.Collections.Immutable;
using Akka.Actor;
using Akka.Cluster.Sharding;
using Akka.Event;
using Appliance.Nodes.Placement;

namespace Appliance.Actors.Placement;

/// <summary>
/// The shard allocation strategy of database instances: <see cref="PlacementRules"/> over the shard regions (one per
/// host). At most one instance per host; with <c>appliance.placement.allow-colocation = off</c> an instance that finds
/// no empty host is not placed (the allocation fails and the shard coordinator retries it when the instance starter
/// asks again), so a host that joins later receives it.
/// </summary>
public sealed class InstanceAllocationStrategy : IShardAllocationStrategy
{
    private readonly bool _allowColocation;
    private readonly Address _selfAddress;
    private readonly ILoggingAdapter _log;

    /// <summary>Creates the strategy.</summary>
    /// <param name="allowColocation">Whether a host may hold more than one instance.</param>
    /// <param name="selfAddress">This member's address (a local region reference has none of its own).</param>
    /// <param name="log">Where placement decisions are logged.</param>
    public InstanceAllocationStrategy(bool allowColocation, Address selfAddress, ILoggingAdapter log)
    {
        _allowColocation = allowColocation;
        _selfAddress = selfAddress;
        _log = log;
    }

    /// <inheritdoc />
    public Task<IActorRef> AllocateShard(IActorRef requester, string shardId, IImmutableDictionary<IActorRef, IImmutableList<string>> currentShardAllocations)
    {
        var byHost = Hosts(currentShardAllocations);
        var chosen = PlacementRules.ChooseHost(shardId, byHost.Placement, _allowColocation, HostOf(requester));
        if (chosen is null)
        {
            return Task.FromException<IActorRef>(new NoHostWithRoomException(
                $"Instance {shardId} is not placed: every host already holds an instance and appliance.placement.allow-colocation is off. " +
                "It starts when a host joins (or allow co-location)."));
        }
        var region = byHost.Regions[chosen];
        if (byHost.Placement[chosen].Length > 0)
            _log.Warning("Instance {0} co-located on {1} with {2} (allow-colocation is on and no host is empty).", shardId, chosen,
                string.Join(", ", byHost.Placement[chosen]));
        else
            _log.Info("Instance {0} placed on {1}.", shardId, chosen);
        return Task.FromResult(region);
    }

    /// <inheritdoc />
    public Task<IImmutableSet<string>> Rebalance(IImmutableDictionary<IActorRef, IImmutableList<string>> currentShardAllocations, IImmutableSet<string> rebalanceInProgress)
    {
        var moves = PlacementRules.ToMove(Hosts(currentShardAllocations).Placement, rebalanceInProgress.ToHashSet());
        if (!moves.IsEmpty) _log.Info("Moving co-located instance {0} to an empty host.", string.Join(", ", moves));
        return Task.FromResult<IImmutableSet<string>>(moves.ToImmutableHashSet());
    }

    private string HostOf(IActorRef region) =>
        (region.Path.Address.HasLocalScope ? _selfAddress : region.Path.Address).ToString();

    private (Dictionary<string, ImmutableArray<string>> Placement, Dictionary<string, IActorRef> Regions) Hosts(
        IImmutableDictionary<IActorRef, IImmutableList<string>> allocations)
    {
        var placement = new Dictionary<string, ImmutableArray<string>>();
        var regions = new Dictionary<string, IActorRef>();
        foreach (var (region, shards) in allocations)
        {
            var host = HostOf(region);
            placement[host] = [.. shards];
            regions[host] = region;
        }
        return (placement, regions);
    }
}
