using Akka.Actor;
using Appliance.Actors.Coordinator;
using Appliance.Actors.Protocol;
using Appliance.Actors.Tests.Support;
using Appliance.Nodes.State;
using Xunit.Abstractions;

namespace Appliance.Actors.Tests.Coordinator;

/// <summary>
/// Two coordinators on one state store, each in its own ActorSystem as on two machines: the one that recovered
/// earlier is stale once the other writes, cannot write over it, never publishes a state of its own, and after its
/// supervisor restarts it holds the winner's state.
/// </summary>
public abstract class StaleCoordinatorSpecs : CoordinatorSpec
{
    private protected StaleCoordinatorSpecs(ITestOutputHelper output) : base(output)
    {
    }

    private protected StaleCoordinatorSpecs(StateStoreOptions store, ITestOutputHelper output) : base(store, output)
    {
    }

    [Fact]
    public void A_stale_coordinator_cannot_write_and_recovers_the_winners_state()
    {
        var winner = StartCoordinator();
        Node(winner, "n1").Report();
        Node(winner, "n2").Report();
        ExpectPublished(1);

        var other = ActorSystem.Create("coordinator-spec-other", SystemConfig(Store));
        try
        {
            var otherMediator = CreateTestProbe(other);
            var stale = other.ActorOf(
                ClusterStateCoordinator.SupervisedProps(Settings(otherMediator), TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(1)),
                "coordinator");
            ExpectPublished(1, otherMediator);   // the second coordinator recovered version 1 and republished it

            var byWinner = ExpectAccepted(winner, new OperatorCommand.Freeze("by the winner")).Recorded.State;
            ExpectPublished(2);

            // The stale coordinator decides from version 1 and tries to write its own version 2.
            var operatorProbe = CreateTestProbe(other);
            operatorProbe.Send(stale, new OperatorProtocol.Submit(new OperatorCommand.Freeze("by the stale one")));

            // Its write fails on the journal's unique key; it stops without publishing, is started again, and
            // republishes what it recovered: the winner's version 2, never its own.
            var republished = otherMediator.ExpectMsg<Akka.Cluster.Tools.PublishSubscribe.Publish>(RecoveryTimeout);
            Assert.Equal(byWinner, ((ClusterStateProtocol.StateChanged)republished.Message).State);
            AwaitAssert(() =>
            {
                operatorProbe.Send(stale, ClusterStateProtocol.GetState.Instance);
                Assert.Equal(byWinner, operatorProbe.ExpectMsg<ClusterStateProtocol.CurrentState>(TimeSpan.FromMilliseconds(500)).State);
            }, RecoveryTimeout);
            operatorProbe.ExpectNoMsg(TimeSpan.FromMilliseconds(200));   // no Accepted for the lost write
            otherMediator.ExpectNoMsg(TimeSpan.Zero);

            // The journal holds the winner's history only.
            winner.Tell(ClusterStateProtocol.GetHistory.Instance, TestActor);
            var history = ExpectMsg<ClusterStateProtocol.History>();
            Assert.Equal([1L, 2], history.Entries.Select(e => e.State.Version));
            Assert.Equal("by the winner", history.Entries[^1].State.Freeze?.Reason);
        }
        finally
        {
            Shutdown(other);
        }
    }
}

/// <summary>The stale-coordinator scenario on the embedded SQLite store.</summary>
[Trait("Category", "Unit")]
public sealed class StaleCoordinatorOnSqliteSpecs(ITestOutputHelper output) : StaleCoordinatorSpecs(output);

/// <summary>The stale-coordinator scenario on a real PostgreSQL 15 state store.</summary>
[Trait("Category", "Postgres")]
public sealed class StaleCoordinatorOnPostgresSpecs(PostgresServer postgres, ITestOutputHelper output)
    : StaleCoordinatorSpecs(StateStoreOptions.Postgres(postgres.ConnectionString), output), IClassFixture<PostgresServer>;
