using Appliance.Actors.Node;
using Appliance.Host.Api.Json;
using Appliance.Nodes.Postgres;
using Appliance.Nodes.State;

namespace Appliance.Host.Api;

/// <summary>
/// The load-balancer checks, with the 200/503 semantics of Patroni's REST API, so HAProxy
/// configurations written for Patroni work unchanged. Pure: they read a <see cref="StatusDto"/>.
/// </summary>
public static class RoleChecks
{
    /// <summary>Every check path (without the slash), with the aliases Patroni answers to.</summary>
    public static readonly IReadOnlyDictionary<string, string> Paths = new Dictionary<string, string>
    {
        ["primary"] = "primary", ["read-write"] = "primary", ["master"] = "primary", ["leader"] = "primary",
        ["standby-leader"] = "standby-leader", ["standby_leader"] = "standby-leader",
        ["replica"] = "replica",
        ["read-only"] = "read-only",
        ["sync"] = "sync", ["synchronous"] = "sync",
        ["read-only-sync"] = "read-only-sync",
        ["async"] = "async", ["asynchronous"] = "async",
        ["health"] = "health",
        ["liveness"] = "liveness",
        ["readiness"] = "readiness",
    };

    /// <summary>True (200) if the node passes <paramref name="check"/>; false (503) otherwise.</summary>
    /// <param name="check">A value of <see cref="Paths"/>.</param>
    /// <param name="s">The node's status.</param>
    /// <param name="maxLagBytes">The <c>?lag=</c> limit, if given.</param>
    /// <param name="replicationState">The <c>?replication_state=</c> demand, if given (only <c>streaming</c> is known).</param>
    public static bool Passes(string check, StatusDto s, ulong? maxLagBytes = null, string? replicationState = null)
    {
        var lagOk = maxLagBytes is not { } max || (s.LagBytes is { } lag && lag <= max);
        // ?replication_state=streaming asks for a receiver that streams now, as Patroni's does; the checks themselves only
        // for a standby that plays its role and has received WAL, so that a receiver reconnecting (a switchover, a
        // re-pointed async) does not take the replica out of the load balancer for those seconds.
        var stateOk = replicationState is null || (replicationState == DownstreamStatus.StreamingState && s.Streaming);
        var standby = (s.Role is "sync" or "async") && s.AssignedRole == s.Role && s.PostgresRunning && s.ReceivedLsn is not null;
        var primary = s.Role == "primary" && s.AssignedRole == "primary" && s.PostgresRunning && s.ReadWrite && !s.SelfFenced;
        return check switch
        {
            "primary" => primary,
            "standby-leader" => s.IsStandbyLeader && s.PostgresRunning,
            "replica" => standby && lagOk && stateOk && s.Tags?.Contains("noloadbalance") != true,
            "read-only" => primary || (s.Role == "primary" && s.PostgresRunning) || (standby && lagOk),
            "sync" => standby && s.Role == "sync" && lagOk && stateOk,
            "read-only-sync" => primary || (standby && s.Role == "sync" && lagOk),
            "async" => standby && s.Role == "async" && lagOk && stateOk,
            "health" => s.PostgresRunning,
            "liveness" => true,
            "readiness" => primary || (standby && lagOk),
            _ => throw new ArgumentOutOfRangeException(nameof(check), check, "Unknown check."),
        };
    }

    /// <summary>This node's status as the API serves it.</summary>
    /// <param name="n">The node actor's snapshot.</param>
    /// <param name="lagBytes">How far behind the primary (null if unknown).</param>
    /// <param name="hostPid">This process's id.</param>
    /// <param name="postmasterPid">PostgreSQL's postmaster, if running.</param>
    /// <param name="tags">This node's tags (<c>--tag</c>).</param>
    public static StatusDto Status(NodeSnapshot n, ulong? lagBytes, int hostPid, int? postmasterPid, PeerTags tags = PeerTags.None)
    {
        var role = n.AppliedRole;
        var assigned = n.State?.RoleOf(n.Peer.Id).Role ?? PeerRole.Unassigned;
        var st = n.Status;
        var streaming = st is { InRecovery: true, Receiving: true };
        return new StatusDto(n.Peer.Id, n.Peer.Host, n.Peer.Port, ApiJson.Name(role), ApiJson.Name(assigned), n.State?.Version,
            n.AppliedVersion, n.State?.Generation, st is not null, n.ReadWrite && !n.SelfFenced, n.SelfFenced, streaming,
            st?.Timeline, st?.Position.ToString(), st?.ReceivedLsn?.ToString(), st?.ReplayedLsn?.ToString(),
            role == PeerRole.Primary && st is not null ? 0 : lagBytes,
            n.CloneProgress is { } c ? Math.Round(c.Fraction * 100, 1) : null, n.LastError, hostPid, postmasterPid, n.StateRefused,
            n.State?.InMaintenance(n.Peer.Id) == true, PeerTagNames.Names(tags),
            st?.PendingRestart.Count > 0, st?.PendingRestart ?? [], StandbyOf: n.State?.StandbyOf?.ToString());
    }
}
