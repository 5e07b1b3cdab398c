using Appliance.Host.Api.Json;
using Appliance.Nodes.State;

namespace Appliance.Host.Api;

/// <summary>
/// The role a node exports in <c>appliance_role{role=…}</c>: its PostgreSQL role, except that a standby cluster's leader
/// is <see cref="StandbyLeader"/>, not <c>primary</c>. It takes no writes by design, so alerts written for a primary
/// (none takes writes, the primary is read-only) must not count it as one.
/// </summary>
public static class MetricRole
{
    /// <summary>The role label of a standby cluster's leader.</summary>
    public const string StandbyLeader = "standby-leader";

    /// <summary>Every role label a node exports, one sample each (1 for its own role, 0 for the others).</summary>
    public static IReadOnlyList<string> Names { get; } = [.. Enum.GetValues<PeerRole>().Select(ApiJson.Name), StandbyLeader];

    /// <summary>The role label of the node whose status is <paramref name="s"/>.</summary>
    public static string Of(StatusDto s) => s.IsStandbyLeader ? StandbyLeader : s.Role;

    /// <summary>
    /// 1 in a standby cluster, 0 in a normal one, null while unknown: from the state this node holds, else its own
    /// status (which carries the source only in a standby cluster, so it cannot tell "normal" from "not yet known").
    /// </summary>
    public static double? StandbyCluster(StatusDto s, ClusterState? state) =>
        state is not null ? (state.IsStandbyCluster ? 1 : 0) : s.StandbyOf is not null ? 1 : null;
}
