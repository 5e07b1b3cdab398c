using Akka.Actor;
using Akka.Event;

namespace Appliance.Actors.Node.Roles;

/// <summary>
/// The primary of a standby cluster (<see cref="Appliance.Nodes.State.ClusterState.StandbyOf"/>): a PostgreSQL standby
/// that streams from the other cluster's primary, takes no writes and is promoted only by promote-cluster (as a primary, by PrimaryRole). Its sync and asyncs stream from it
/// as they would from a primary (cascading replication).
/// </summary>
public sealed class StandbyLeaderRole(RoleContext context) : RoleActor(context)
{
    /// <summary>Props for <paramref name="context"/>.</summary>
    public static Props Props(RoleContext context) => Akka.Actor.Props.Create(() => new StandbyLeaderRole(context));

    /// <inheritdoc />
    protected override async Task ReconcileAsync(CancellationToken ct)
    {
        var state = Role.State;
        var source = state.StandbyOf ?? throw new InvalidOperationException($"State v{state.Version} is no standby cluster's.");
        var instance = Role.Instance;
        // As for a normal primary: only the first leader of a new cluster fills an empty data directory, from the source.
        if (!instance.HasData && (state.Generation != 1 || state.InitWal != Appliance.Nodes.State.Lsn.Zero))
            throw new InvalidOperationException(
                $"{instance.Peer.Id} leads generation {state.Generation} of a standby cluster but its data directory is empty; refusing " +
                "to clone the source over the cluster's data. Restore the data directory.");
        if (!instance.HasData)
            ReportWaiting(source.Repository is not null ? $"restoring the newest backup of {source}" : $"cloning from the primary of {source}");
        await instance.FollowSourceAsync(source, state.Singleton ? null : Role.Assignment.Downstream, CloneProgress(), ct).ConfigureAwait(false);
        ReportResumed();
        Log.Info("{0} leads the standby cluster, following {1}", instance.Peer.Id, source);
        Report(new RoleProtocol.Applied(Role.Token, Appliance.Nodes.State.PeerRole.Primary, ReadWrite: false));
    }
}
