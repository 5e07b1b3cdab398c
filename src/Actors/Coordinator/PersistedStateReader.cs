using Akka;
using Akka.Actor;
using Akka.Persistence.Query;
using Akka.Streams;
using Akka.Streams.Dsl;
using Appliance.Actors.Protocol;

namespace Appliance.Actors.Coordinator;

/// <summary>
/// Reads the newest state the cluster's coordinators have written, straight from the state store's journal, without
/// a coordinator. A node that runs no coordinator and has seen no state since it started (a survivor alone after its
/// primary and sync were lost) uses it so that <c>verify</c> can say what the cluster waits for instead of "no state".
/// It only reads: the journal's compare-and-set stays with the one coordinator that writes.
/// </summary>
/// <param name="system">The node's actor system, configured with the state store (<see cref="StateStoreOptions.ToHocon"/>).</param>
/// <param name="queryPluginId">The read journal.</param>
public sealed class PersistedStateReader(ActorSystem system, string queryPluginId = StateStoreOptions.QueryPluginId)
{
    private readonly Lazy<IMaterializer> _materializer = new(() => system.Materializer(namePrefix: "persisted-state-reader"));

    /// <summary>The last state written, with why; null if none was ever written.</summary>
    public async Task<ClusterStateProtocol.StateRecorded?> NewestAsync(CancellationToken ct) =>
        await Entries(system, queryPluginId).RunWith(Sink.LastOrDefault<ClusterStateProtocol.StateRecorded>(), _materializer.Value).WaitAsync(ct);

    /// <summary>
    /// Every state written, oldest first, as the read journal holds them now (the coordinator's history too). An entry
    /// that is not a state fails the stream: such a journal is not ours.
    /// </summary>
    /// <param name="system">The actor system with the state store.</param>
    /// <param name="queryPluginId">The read journal.</param>
    /// <param name="fromVersion">The first version to read (a version is its journal sequence number).</param>
    public static Source<ClusterStateProtocol.StateRecorded, NotUsed> Entries(ActorSystem system, string queryPluginId, long fromVersion = 1) =>
        PersistenceQuery.Get(system).ReadJournalFor<ICurrentEventsByPersistenceIdQuery>(queryPluginId)
            .CurrentEventsByPersistenceId(StateStoreOptions.PersistenceId, fromVersion, long.MaxValue)
            .Select(envelope => envelope.Event as ClusterStateProtocol.StateRecorded
                                ?? throw new InvalidOperationException($"Journal entry {envelope.SequenceNr} is a {envelope.Event.GetType()}, not a state."));
}
