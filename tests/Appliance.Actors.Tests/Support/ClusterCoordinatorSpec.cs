using Akka.Actor;
using Akka.Cluster;
using Akka.Configuration;
using Appliance.Actors.Serialization;
using Xunit.Abstractions;

namespace Appliance.Actors.Tests.Support;

/// <summary>
/// Base of coordinator tests whose test system is the first member of a real cluster on loopback, which other
/// ActorSystems join (<see cref="JoinedSystem"/>): messages between them cross the wire through the appliance serializer.
/// </summary>
public abstract class ClusterCoordinatorSpec(ITestOutputHelper output) : CoordinatorSpec(output, ClusterConfig)
{
    /// <summary>The configuration of every system of the cluster.</summary>
    protected static readonly Config ClusterConfig = ConfigurationFactory.ParseString("""
        akka.actor.provider = cluster
        akka.remote.dot-netty.tcp { hostname = 127.0.0.1, port = 0 }
        akka.coordinated-shutdown.exit-clr = off
        akka.coordinated-shutdown.run-by-clr-shutdown-hook = off
        # The test downs members itself; no split-brain resolver decisions during it.
        akka.cluster.downing-provider-class = ""
        akka.cluster.pub-sub.send-to-dead-letters-when-no-subscribers = off
        """);

    private readonly List<ActorSystem> _others = [];

    /// <summary>A new system that has joined the test system's cluster and is Up.</summary>
    protected ActorSystem JoinedSystem()
    {
        var system = ActorSystem.Create(SystemName, ClusterConfig.WithFallback(ApplianceSerialization.Config));
        _others.Add(system);
        Cluster.Get(system).Join(Cluster.Get(Sys).SelfAddress);
        var address = Cluster.Get(system).SelfAddress;
        AwaitAssert(() => Assert.Contains(Cluster.Get(Sys).State.Members, m => m.Address.Equals(address) && m.Status == MemberStatus.Up),
            TimeSpan.FromSeconds(20), TimeSpan.FromMilliseconds(100));
        return system;
    }

    protected override void AfterAll()
    {
        foreach (var system in _others) Shutdown(system, verifySystemShutdown: false);
        base.AfterAll();
    }
}
