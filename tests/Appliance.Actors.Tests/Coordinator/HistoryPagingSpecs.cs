using Akka.Actor;
using Akka.Cluster;
using Akka.Persistence;
using Appliance.Actors.Client;
using Appliance.Actors.Coordinator;
using Appliance.Actors.Protocol;
using Appliance.Actors.Tests.Support;
using Appliance.Nodes.State;
using Xunit.Abstractions;

namespace Appliance.Actors.Tests.Coordinator;

/// <summary>
/// The coordinator answers the history a page at a time, each page well inside Akka's frame size, and a node fetches
/// only what it lacks (<see cref="HistoryBook"/>): a history far longer than one frame still reaches another host.
/// </summary>
[Trait("Category", "Cluster")]
public sealed class HistoryPagingSpecs : ClusterCoordinatorSpec
{
    public HistoryPagingSpecs(ITestOutputHelper output) : base(output)
    {
    }

    [Fact]
    public async Task Two_thousand_states_are_read_page_by_page_through_a_node_that_does_not_host_the_coordinator()
    {
        const int count = 2000;
        WriteStates(count);
        var cluster = Cluster.Get(Sys);
        cluster.Join(cluster.SelfAddress);
        StartCoordinator();
        var other = JoinedSystem();
        var remote = await other.ActorSelection(new RootActorPath(cluster.SelfAddress) / "user" / "coordinator").ResolveOne(TimeSpan.FromSeconds(10));

        // The whole history is several frames long: one answer to "everything" is one page, and says there is more.
        var first = await remote.Ask<ClusterStateProtocol.History>(ClusterStateProtocol.GetHistory.Instance, TimeSpan.FromSeconds(20));
        Assert.True(first.More);
        Assert.InRange(first.Entries.Count, 1, count - 1);
        var frame = Sys.Settings.Config.GetByteSize("akka.remote.dot-netty.tcp.maximum-frame-size")!.Value;
        Assert.True(Bytes(first) < frame, $"a page of {Bytes(first)} bytes does not fit a frame of {frame}");

        // A node reads it all, a page at a time, in order.
        var book = new HistoryBook();
        var all = await book.CatchUpAsync(remote, TimeSpan.FromSeconds(20));
        Assert.Equal(Enumerable.Range(1, count).Select(v => (long)v), all.Select(e => e.State.Version));
        Assert.Equal($"write {count}", all[^1].Detail);

        // Later it asks only for what it lacks: from its last version on.
        var coordinator = CreateTestProbe();
        var again = book.CatchUpAsync(coordinator.Ref, TimeSpan.FromSeconds(20));
        Assert.Equal(count, coordinator.ExpectMsg<ClusterStateProtocol.GetHistory>().Since);
        coordinator.Reply(new ClusterStateProtocol.History([Entry(count + 1)]));
        Assert.Equal(count + 1, (await again).Count);

        // A page asked for with since and limit is exactly that.
        var page = await remote.Ask<ClusterStateProtocol.History>(new ClusterStateProtocol.GetHistory(1990, 5), TimeSpan.FromSeconds(20));
        Assert.Equal([1991L, 1992, 1993, 1994, 1995], page.Entries.Select(e => e.State.Version));
        Assert.True(page.More);
    }

    [Fact]
    public void A_page_is_cut_at_the_limit_or_the_byte_budget_but_always_holds_one_entry()
    {
        var entries = Enumerable.Range(1, 10).Select(v => Entry(v)).ToList();
        var byLimit = HistoryPages.Cut(entries, 4, long.MaxValue, _ => 10);
        Assert.Equal([1L, 2, 3, 4], byLimit.Entries.Select(e => e.State.Version));
        Assert.True(byLimit.More);
        var byBudget = HistoryPages.Cut(entries, 100, 35, _ => 10);
        Assert.Equal(3, byBudget.Entries.Count);
        Assert.True(byBudget.More);
        var oversized = HistoryPages.Cut(entries, 100, 5, _ => 10);
        Assert.Single(oversized.Entries);
        var whole = HistoryPages.Cut(entries, 100, long.MaxValue, _ => 10);
        Assert.Equal(10, whole.Entries.Count);
        Assert.False(whole.More);
    }

    private long Bytes(object message) => Sys.Serialization.FindSerializerFor(message).ToBinary(message).Length;

    private static ClusterStateProtocol.StateRecorded Entry(long version) => new(
        new ClusterState
        {
            Version = version,
            Generation = 1,
            Primary = new PeerId("n1", "127.0.0.1", 5432),
            Sync = new PeerId("n2", "127.0.0.1", 5433),
            Async = [new PeerId("n3", "127.0.0.1", 5434)],
            Freeze = version % 2 == 0 ? new FreezeInfo("paging test", DateTimeOffset.UnixEpoch) : null,
        },
        version == 1 ? TransitionReason.InitialSetup : version % 2 == 0 ? TransitionReason.Frozen : TransitionReason.Unfrozen,
        $"write {version}", DateTimeOffset.UnixEpoch.AddSeconds(version));

    /// <summary>Writes <paramref name="count"/> states to the coordinator's journal, as a coordinator would have.</summary>
    private void WriteStates(int count)
    {
        var writer = Sys.ActorOf(Props.Create(() => new JournalWriter()), "journal-writer");
        for (var from = 1; from <= count; from += 200)
        {
            writer.Tell(Enumerable.Range(from, Math.Min(200, count - from + 1)).Select(v => Entry(v)).ToArray(), TestActor);
            ExpectMsg<Done>(TimeSpan.FromSeconds(60));
        }
        Watch(writer);
        Sys.Stop(writer);
        ExpectTerminated(writer);
    }

    private sealed record Done;

    private sealed class JournalWriter : ReceivePersistentActor
    {
        public override string PersistenceId => StateStoreOptions.PersistenceId;

        public JournalWriter()
        {
            Recover<object>(_ => { });
            Command<ClusterStateProtocol.StateRecorded[]>(batch =>
            {
                var replyTo = Sender;
                var left = batch.Length;
                PersistAll(batch, _ => { if (--left == 0) replyTo.Tell(new Done()); });
            });
        }
    }
}
