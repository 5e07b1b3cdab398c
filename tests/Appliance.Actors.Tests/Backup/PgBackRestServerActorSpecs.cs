using Akka.Actor;
using Akka.Cluster.Tools.PublishSubscribe;
using Appliance.Actors.Backup;
using Appliance.Actors.Protocol;
using Appliance.Nodes.Backup;
using Appliance.Nodes.Postgres;
using Appliance.Nodes.State;
using Xunit.Abstractions;

namespace Appliance.Actors.Tests.Backup;

/// <summary>Which nodes the pgBackRest server admits, and what it answers before it serves.</summary>
[Trait("Category", "Unit")]
public sealed class PgBackRestServerActorSpecs(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(output: output)
{
    private static readonly PeerId N1 = new("n1", "10.0.0.1", 5432);
    private static readonly PeerId N2 = new("n2", "10.0.0.2", 5432);
    private static readonly PeerId N3 = new("n3", "10.0.0.3", 5432);
    private static readonly PeerId N4 = new("n4", "10.0.0.4", 5432);

    [Fact]
    public void It_admits_every_node_the_state_names_deposed_ones_included_and_itself()
    {
        var state = new ClusterState { Version = 3, Generation = 2, Primary = N2, Sync = N3, Async = [N4], Deposed = [N1] };
        Assert.Equal(["n1", "n2", "n3", "n4"], PgBackRestServerActor.Clients(state, "n3"));
        Assert.Equal(["n2", "n3", "n5"], PgBackRestServerActor.Clients(state with { Async = [], Deposed = [] }, "n5"));
    }

    [Fact]
    public void Before_any_state_it_serves_no_one_and_says_so_when_asked()
    {
        var mediator = CreateTestProbe();
        var settings = new BackupSettings("/nonexistent/repo", "appliance", "/nonexistent/n1/pgbackrest", []);
        var actor = Sys.ActorOf(PgBackRestServerActor.Props("n1", new PgBackRest(settings, "127.0.0.1", ClusterCredentials.FromSecret("pw")),
            new PgBackRestServer("127.0.0.1", 8432, PostgresTls.In("/nonexistent/n1/tls"), []), "/nonexistent/n1/pgdata", 5432, mediator.Ref));
        Assert.Equal(ClusterStateProtocol.Topic, mediator.ExpectMsg<Subscribe>().Topic);
        Assert.Equal(BackupProtocol.Topic, mediator.ExpectMsg<Subscribe>().Topic);

        actor.Tell(new BackupProtocol.GetServer("n1"));
        var answer = ExpectMsg<BackupProtocol.Server>();
        Assert.Equal(new BackupProtocol.Server("n1", null, "/nonexistent/n1/pgdata", null, "no cluster state received yet"), answer);
        actor.Tell(new BackupProtocol.GetServer("n2"));   // another node's question
        ExpectNoMsg(TimeSpan.FromMilliseconds(200));
    }
}
