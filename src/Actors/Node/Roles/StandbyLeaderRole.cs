using Akka.Actor;
using Akka.Event;
using Appliance.Nodes.Postgres;
using Appliance.Nodes.State;

namespace Appliance.Actors.Node.Roles;

/// <summary>
/// The primary of a standby cluster (<see cref="ClusterState.StandbyOf"/>): a PostgreSQL standby that streams from the
/// other cluster's primary (or replays its archive), takes no writes and is promoted only by promote-cluster (as a
/// primary, by PrimaryRole). Its sync and asyncs stream from it as they would from a primary (cascading replication).
/// </summary>
/// <remarks>
/// Once applied, a leader that streams watches that it does (<see cref="StallWatchingRole"/>) against whichever host of
/// the source takes writes (the host its WAL receiver streams from). A failover at the source can promote below this leader's position (it streamed the
/// lost primary's WAL further than the source's sync had), and PostgreSQL then never follows the new timeline; the WAL
/// past the fork was never acknowledged at the source, so the leader is rewound onto the new primary's history. Its own
/// standbys follow it onto that history by their own checks.
/// </remarks>
internal sealed class StandbyLeaderRole(RoleContext context) : StallWatchingRole(context)
{
    /// <summary>Props for <paramref name="context"/>.</summary>
    public static Props Props(RoleContext context) => Akka.Actor.Props.Create(() => new StandbyLeaderRole(context));

    private StandbySource Source => Role.State.StandbyOf!;

    /// <inheritdoc />
    protected override bool Watches => Source.Repository is null;

    /// <inheritdoc />
    protected override async Task<StallCheck?> ReadStallAsync(CancellationToken ct) =>
        await Role.Instance.ReadSourceStallAsync(Source, ct).ConfigureAwait(false) is { } read
            ? new StallCheck(read.Reading, read.UpstreamName(Source), read.SourcePrimary)
            : null;

    /// <inheritdoc />
    protected override Task CloneAfreshAsync(PeerId from, CancellationToken ct) =>
        Role.Instance.CloneAfreshFromSourceAsync(Source, from, Downstream, CloneProgress(), ct);

    /// <inheritdoc />
    protected override Task<RejoinOutcome?> RewindForkedAsync(PeerId from, CancellationToken ct) =>
        Role.Instance.RewindForkedFromSourceAsync(Source, from, Downstream, CloneProgress(), ct);

    private PeerId? Downstream => Role.State.Singleton ? null : Role.Assignment.Downstream;

    /// <inheritdoc />
    protected override async Task ReconcileAsync(CancellationToken ct)
    {
        var state = Role.State;
        var source = state.StandbyOf ?? throw new InvalidOperationException($"State v{state.Version} is no standby cluster's.");
        var instance = Role.Instance;
        // As for a normal primary: only the first leader of a new cluster fills an empty data directory, from the source.
        if (!instance.HasData && (state.Generation != 1 || state.InitWal != Lsn.Zero))
            throw new InvalidOperationException(
                $"{instance.Peer.Id} leads generation {state.Generation} of a standby cluster but its data directory is empty; refusing " +
                "to clone the source over the cluster's data. Restore the data directory.");
        if (!instance.HasData)
            ReportWaiting(source.Repository is not null ? $"restoring the newest backup of {source}" : $"cloning from the primary of {source}");
        await instance.FollowSourceAsync(source, Downstream, CloneProgress(), ct).ConfigureAwait(false);
        ReportResumed();
        Log.Info("{0} leads the standby cluster, following {1}", instance.Peer.Id, source);
        Report(new RoleProtocol.Applied(Role.Token, PeerRole.Primary, ReadWrite: false));
    }
}
