namespace Appliance.Nodes.State;

/// <summary>
/// <c>appliance maintenance on|off ID</c>: an operator takes a standby out of the cluster's hands to stop and start its
/// PostgreSQL by hand. While on, the peer is out of the chain and the rules treat it as gone (<see cref="ClusterRules"/>
/// removes it from the observation), and its node runs no role.
/// </summary>
/// <remarks>
/// Maintenance on the primary or the sync is refused: for them "gone" means a takeover or a sync replacement, which an
/// operator asks for explicitly with a switchover first (Patroni's <c>pause</c> instead stops automatic failover for
/// the whole cluster, which <c>freeze</c> does here). A deposed peer must be rebuilt or reaped instead: started by hand
/// it could serve WAL no one acknowledged. Leaving maintenance only removes the mark; the peer then joins the async
/// tail as any newcomer does, and its node rewinds it first if its WAL forked off the primary's history.
/// </remarks>
internal static class MaintenanceMode
{
    public static Decision Decide(RuleContext ctx, string peerId, bool on)
    {
        var state = ctx.State;
        if (!on)
        {
            if (!state.InMaintenance(peerId))
                return new Refusal(RefusalReason.InvalidRequest, $"Peer {peerId} is not in maintenance.");
            return new Transition(ctx.Next() with { Maintenance = state.Maintenance.Remove(peerId) }, TransitionReason.MaintenanceOff,
                $"Peer {peerId} left maintenance; it rejoins the async tail {(ctx.Observation.IsPresent(peerId) ? "now" : "when it returns")}.");
        }

        if (state.InMaintenance(peerId))
            return new Refusal(RefusalReason.InvalidRequest, $"Peer {peerId} is already in maintenance.");
        var role = state.RoleOf(peerId).Role;
        switch (role)
        {
            case PeerRole.Primary or PeerRole.Sync:
                return new Refusal(RefusalReason.SwitchoverFirst,
                    $"Peer {peerId} is the {role.ToString().ToLowerInvariant()}; taking it away would stop writes until a failover. " +
                    $"Move the role off it first (appliance switchover{(role == PeerRole.Sync ? $" --to {state.Async.FirstOrDefault()?.Id ?? "ASYNC"}" : "")}), then put it in maintenance.");
            case PeerRole.Deposed:
                return new Refusal(RefusalReason.InvalidRequest,
                    $"Peer {peerId} is deposed: its WAL may hold writes no one acknowledged. Rebuild or reap it instead.");
            case PeerRole.Unassigned when !ctx.Observation.IsPresent(peerId):
                return new Refusal(RefusalReason.UnknownPeer, $"No peer {peerId} is known to the cluster.");
        }
        var next = ctx.Next() with { Async = state.Async.RemoveAll(a => a.Is(peerId)), Maintenance = state.Maintenance.Add(peerId) };
        return new Transition(next, TransitionReason.MaintenanceOn,
            $"Peer {peerId} is in maintenance: out of the chain (asyncs now {RuleContext.Ids(next.Async)}), and its PostgreSQL is left to the operator until maintenance is off.");
    }
}
