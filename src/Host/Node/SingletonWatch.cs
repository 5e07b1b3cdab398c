using Akka.Actor;
using Akka.Cluster;
using Appliance.Actors;

namespace Appliance.Host.Node;

/// <summary>
/// Restarts a node that is the oldest database member of a settled cluster but does not run the cluster's singletons
/// (the coordinator, and in placement mode the shard coordinator). Akka's singleton manager has a trap: a manager that
/// was the oldest and handed its singleton to an older member goes to its End state for good, because it assumes it
/// is leaving. Concurrent joins through different seeds can form a cluster with two leaders for a moment, each moving
/// a different set of members Up, so a node may see itself as the oldest, start the singletons, and hand them over a
/// second later. When the real oldest dies, that node becomes the oldest but never starts them again: no coordinator,
/// so no failover (found by the placement scenarios in CI: "HandingOver -> End" at formation, then no coordinator after
/// the oldest host was killed). A new incarnation of the process starts its managers afresh, so after
/// <c>appliance.self-restart.singleton-patience</c> (20 s) of this the node stops with
/// <see cref="SelfRestartWatch.ExitCode"/> and its service manager starts it again; the next oldest member takes the singletons meanwhile.
/// </summary>
internal sealed class SingletonWatch(NodeOptions options, IServiceProvider services, IHostApplicationLifetime lifetime, ILogger<SingletonWatch> log)
    : SelfRestartWatch(services, lifetime, log)
{
    private const string CoordinatorPath = ClusterTopology.CoordinatorPath;
    private const string ShardCoordinatorPath = ClusterTopology.InstanceShardCoordinatorPath;

    protected override string PatienceKey => "singleton-patience";

    protected override async Task<string?> ConditionAsync(ActorSystem system, CancellationToken ct)
    {
        var cluster = Cluster.Get(system);
        var state = cluster.State;
        var members = state.Members.OrderBy(m => m, Member.AgeOrdering)
            .Select((m, rank) => new MemberAge(m.Address, m.Status, rank, m.HasRole(ClusterTopology.DatabaseRole))).ToList();
        if (!ShouldHostSingletons(cluster.SelfAddress, members, state.Unreachable.Count)) return null;
        return await MissingSingletonAsync(system) is { } path ? $"the oldest member of a settled cluster without {path}" : null;
    }

    protected override Task<string?> ConfirmAsync(ActorSystem system, string condition, TimeSpan lasted, CancellationToken ct) =>
        Task.FromResult<string?>($"Node {options.Name} has been {condition} for {lasted.TotalSeconds:0} s: its singleton manager is stuck " +
            "(it handed the singleton over at formation and waits to leave), and only a new incarnation starts it afresh");

    /// <summary>
    /// Whether <paramref name="self"/> should be running the singletons now: it is the single oldest Up database member,
    /// and nothing is in motion (no member unreachable, no database member leaving, exiting or down), so no hand-over
    /// can be under way.
    /// </summary>
    public static bool ShouldHostSingletons(Address self, IReadOnlyCollection<MemberAge> members, int unreachable)
    {
        if (unreachable > 0) return false;
        var database = members.Where(m => m.IsDatabase).ToList();
        if (database.Any(m => m.Status is MemberStatus.Leaving or MemberStatus.Exiting or MemberStatus.Down)) return false;
        var up = database.Where(m => m.Status == MemberStatus.Up).ToList();
        if (up.Count == 0) return false;
        return up.MinBy(m => m.Rank)!.Address.Equals(self);
    }

    private async Task<string?> MissingSingletonAsync(ActorSystem system)
    {
        var paths = options.IsPlacement ? new[] { CoordinatorPath, ShardCoordinatorPath } : [CoordinatorPath];
        foreach (var path in paths)
        {
            try
            {
                var identity = await system.ActorSelection(path).Ask<ActorIdentity>(new Identify(path), TimeSpan.FromSeconds(2));
                if (identity.Subject is null) return path;
            }
            catch (AskTimeoutException)
            {
                // A busy system that cannot answer a local Identify in 2 s is not evidence of a stuck manager.
            }
        }
        return null;
    }
}
