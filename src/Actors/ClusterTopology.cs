namespace Appliance.Actors;

/// <summary>
/// The names that tie an appliance cluster together: member roles, the coordinator singleton's name and paths, the
/// placement shard. Every member (nodes and client applications) must agree on them, so they live here once.
/// </summary>
/// <remarks>
/// The coordinator runs as a cluster singleton on <see cref="DatabaseRole"/> members: its manager is
/// <see cref="CoordinatorManagerPath"/>, and inside it the backoff supervisor (<see cref="CoordinatorName"/>) runs the
/// coordinator under the same name again, hence <see cref="CoordinatorPath"/>.
/// </remarks>
public static class ClusterTopology
{
    /// <summary>The role of database nodes: the coordinator singleton and the placement shards run on them.</summary>
    public const string DatabaseRole = "db";

    /// <summary>The role of application members that follow the cluster (<c>ApplianceClient</c>).</summary>
    public const string ClientRole = "client";

    /// <summary>The coordinator singleton's name, and its supervised child's.</summary>
    public const string CoordinatorName = "coordinator";

    /// <summary>Where the singleton manager runs on every database node.</summary>
    public const string CoordinatorManagerPath = "/user/" + CoordinatorName;

    /// <summary>The coordinator itself, under its manager and its backoff supervisor, on the member that runs it.</summary>
    public const string CoordinatorPath = CoordinatorManagerPath + "/" + CoordinatorName;

    /// <summary>The sharding type name of placement mode's PostgreSQL instances (<c>pg-N</c>).</summary>
    public const string InstanceShardName = "instance";

    /// <summary>The placement shard coordinator singleton (Akka.Cluster.Sharding names it after the type).</summary>
    public const string InstanceShardCoordinatorPath = "/system/sharding/" + InstanceShardName + "Coordinator/singleton";
}
