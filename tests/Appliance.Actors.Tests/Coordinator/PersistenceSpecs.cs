using Akka.Actor;
using Akka.Persistence;
using Akka.Persistence.Query;
using Akka.Streams;
using Akka.Streams.Dsl;
using Appliance.Actors.Coordinator;
using Appliance.Actors.Protocol;
using Appliance.Actors.Tests.Support;
using Appliance.Nodes.State;
using Xunit.Abstractions;

namespace Appliance.Actors.Tests.Coordinator;

/// <summary>Every state is an event whose sequence number is its version; recovery, snapshots and history.</summary>
[Trait("Category", "Unit")]
public sealed class PersistenceSpecs(ITestOutputHelper output) : CoordinatorSpec(output)
{
    [Fact]
    public async Task Versions_increase_by_one_and_equal_the_journal_sequence_numbers()
    {
        var coordinator = StartCoordinator();
        WriteSixStates(coordinator);

        var journal = PersistenceQuery.Get(Sys).ReadJournalFor<ICurrentEventsByPersistenceIdQuery>(StateStoreOptions.QueryPluginId);
        var envelopes = await journal.CurrentEventsByPersistenceId(StateStoreOptions.PersistenceId, 0, long.MaxValue)
            .RunWith(Sink.Seq<EventEnvelope>(), Sys.Materializer());

        Assert.Equal([1L, 2, 3, 4, 5, 6], envelopes.Select(e => e.SequenceNr));
        Assert.All(envelopes, e => Assert.Equal(e.SequenceNr, ((ClusterStateProtocol.StateRecorded)e.Event).State.Version));
    }

    [Fact]
    public void History_returns_every_write_in_order_with_its_reason()
    {
        var coordinator = StartCoordinator();
        WriteSixStates(coordinator);

        coordinator.Tell(ClusterStateProtocol.GetHistory.Instance, TestActor);
        var history = ExpectMsg<ClusterStateProtocol.History>();

        Assert.Equal([1L, 2, 3, 4, 5, 6], history.Entries.Select(e => e.State.Version));
        Assert.Equal(
            [TransitionReason.InitialSetup, TransitionReason.AsyncsUpdated, TransitionReason.Frozen, TransitionReason.Unfrozen,
             TransitionReason.Frozen, TransitionReason.Unfrozen],
            history.Entries.Select(e => e.Reason));
        Assert.Equal(CurrentState(coordinator).State, history.Entries[^1].State);
    }

    [Fact]
    public void A_restarted_coordinator_recovers_the_same_state_from_its_events()
    {
        var coordinator = StartCoordinator();
        WriteSixStates(coordinator);
        var before = CurrentState(coordinator).State;

        Stop(coordinator);
        var restarted = StartCoordinator(name: "restarted");

        Assert.Equal(before, ExpectPublished(6));   // a new incarnation republishes what it recovered
        Assert.Equal(before, CurrentState(restarted).State);
        Assert.Null(LatestSnapshot());               // no snapshot was due: recovered from events alone
    }

    [Fact]
    public void A_restarted_coordinator_recovers_from_a_snapshot_and_the_events_after_it()
    {
        var coordinator = StartCoordinator(Settings() with { SnapshotEvery = 4 });
        WriteSixStates(coordinator);
        var before = CurrentState(coordinator).State;
        AwaitAssert(() => Assert.Equal(4, LatestSnapshot()?.Metadata.SequenceNr));

        Stop(coordinator);
        var restarted = StartCoordinator(Settings() with { SnapshotEvery = 4 }, "restarted");

        Assert.Equal(before, CurrentState(restarted).State);
        var snapshot = Assert.IsType<CoordinatorSnapshot>(LatestSnapshot()!.Snapshot);
        Assert.Equal(4, snapshot.State.Version);
        // The history is whole although recovery started at the snapshot: events are never deleted.
        restarted.Tell(ClusterStateProtocol.GetHistory.Instance, TestActor);
        Assert.Equal(6, ExpectMsg<ClusterStateProtocol.History>().Entries.Count);
    }

    /// <summary>Setup (v1, v2), then freeze/unfreeze twice (v3–v6).</summary>
    [Fact]
    public async Task The_newest_state_can_be_read_from_the_store_without_a_coordinator()
    {
        var reader = new PersistedStateReader(Sys);
        Assert.Null(await reader.NewestAsync(default));   // an empty store: a cluster still being set up

        var coordinator = StartCoordinator();
        WriteSixStates(coordinator);
        var written = CurrentState(coordinator).State;
        Stop(coordinator);

        var newest = await reader.NewestAsync(default);
        Assert.NotNull(newest);
        Assert.Equal(written, newest.State);
        Assert.Equal(TransitionReason.Unfrozen, newest.Reason);
    }

    private void WriteSixStates(IActorRef coordinator)
    {
        ThreeNodeCluster(coordinator);
        for (var i = 0; i < 2; i++)
        {
            ExpectAccepted(coordinator, new OperatorCommand.Freeze($"freeze {i}"));
            ExpectAccepted(coordinator, new OperatorCommand.Unfreeze());
        }
        for (var v = 3; v <= 6; v++) ExpectPublished(v);
    }

    private void Stop(IActorRef coordinator)
    {
        Watch(coordinator);
        Sys.Stop(coordinator);
        ExpectTerminated(coordinator);
    }

    private SelectedSnapshot? LatestSnapshot()
    {
        var store = Persistence.Instance.Apply(Sys).SnapshotStoreFor(null);
        store.Tell(new LoadSnapshot(StateStoreOptions.PersistenceId, SnapshotSelectionCriteria.Latest, long.MaxValue), TestActor);
        return ExpectMsg<LoadSnapshotResult>().Snapshot;
    }

    [Fact]
    public void The_current_state_carries_the_last_position_the_primary_reported_after_it_stops_reporting()
    {
        var coordinator = StartCoordinator();
        var (n1, n2, _) = ThreeNodeCluster(coordinator);
        Assert.Null(CurrentState(coordinator).PrimaryWal);

        n1.Report(wal: "0/5000000", appliedVersion: 2);
        n2.Report(wal: "0/6000000", appliedVersion: 2);   // not the primary: not taken
        n1.Report(postgresUp: false, wal: "0/0", appliedVersion: 2);   // down: the last position stays
        AwaitAssert(() => Assert.Equal(Lsn.Parse("0/5000000"), CurrentState(coordinator).PrimaryWal));
    }
}
