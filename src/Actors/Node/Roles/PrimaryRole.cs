using Akka.Actor;
using Akka.Event;
using Appliance.Nodes.State;

namespace Appliance.Actors.Node.Roles;

/// <summary>
/// Makes the instance the primary: read-only and naming its sync first, read-write only once the sync has caught up
/// (DESIGN §4.3). A singleton primary has no sync and takes writes at once.
/// </summary>
internal sealed class PrimaryRole(RoleContext context) : RoleActor(context)
{
    /// <summary>Props for <paramref name="context"/>.</summary>
    public static Props Props(RoleContext context) => Akka.Actor.Props.Create(() => new PrimaryRole(context));

    /// <inheritdoc />
    protected override async Task ReconcileAsync(CancellationToken ct)
    {
        var state = Role.State;
        var instance = Role.Instance;
        if (!instance.HasData)
        {
            // Only the first primary of a new cluster creates a database. An empty data directory anywhere later means
            // the cluster's data is elsewhere; a fresh empty primary would silently drop it.
            if (state.Generation != 1 || state.InitWal != Lsn.Zero)
                throw new InvalidOperationException(
                    $"{instance.Peer.Id} is primary of generation {state.Generation} but its data directory is empty; refusing to create an " +
                    "empty database over the cluster's data. Restore the data directory, or switch over and rebuild this peer.");
            // Generation 1 lasts until the first failover or sync change, so a first primary that lost its data
            // directory in it would otherwise create a database again beside its standbys' copies. After initdb they
            // would refuse to follow it (another system identifier); after a restore from the repository
            // (--bootstrap-from-backup) they would not, and would be rewound onto it, losing what was never archived.
            var others = new[] { state.Sync }.Concat(state.Async).Concat(state.Deposed).OfType<PeerId>().Where(p => !p.Is(instance.Peer)).ToList();
            var running = await Task.WhenAll(others.Select(async p => (Peer: p, Status: await instance.ReadStatusOfAsync(p, ct).ConfigureAwait(false))))
                .ConfigureAwait(false);
            if (running.FirstOrDefault(r => r.Status is not null) is { Peer: { } holder })
                throw new InvalidOperationException(
                    $"{instance.Peer.Id} is the first primary of this cluster but its data directory is empty, while {holder.Id} runs a database: " +
                    "the cluster's data is there, and this peer lost its copy. Refusing to create a database over it; switch over to " +
                    $"{state.Sync?.Id ?? holder.Id} (or stop this node and restore its data directory).");
            await instance.InitializeAsync(ct).ConfigureAwait(false);
        }

        var sync = state.Singleton ? null : Role.Assignment.Downstream;
        if (await instance.StartPrimaryAsync(sync, state.Generation, ct).ConfigureAwait(false) is { } timeline)
        {
            if (timeline == state.Generation)
                Log.Info("{0} promoted onto timeline {1} for generation {2}", instance.Peer.Id, timeline, state.Generation);
            else if (timeline > state.Generation)
                // PostgreSQL numbered past the generation: it saw a newer timeline than the one it replayed, e.g. a
                // standby cluster's leader fenced while its source's timeline switch was under way (ARCHITECTURE §15).
                Log.Warning("{0} promoted onto timeline {1}, past generation {2}: PostgreSQL had switched its recovery target to a " +
                            "newer timeline it had not replayed; the next promotion's generation is taken past it, but check the history files",
                    instance.Peer.Id, timeline, state.Generation);
            else
                Log.Error("{0} promoted onto timeline {1}, below generation {2}: PostgreSQL did not start the timeline the " +
                          "skipped-number history files should have made it pick, so another promotion may share its number",
                    instance.Peer.Id, timeline, state.Generation);
        }
        Report(new RoleProtocol.Applied(Role.Token, PeerRole.Primary, ReadWrite: sync is null));
        if (sync is null) return;

        await instance.EnableWritesWhenSyncCaughtUpAsync(sync, Role.Options.CatchUpProgressTimeout, ct).ConfigureAwait(false);
        Report(new RoleProtocol.Applied(Role.Token, PeerRole.Primary, ReadWrite: true));
    }
}
