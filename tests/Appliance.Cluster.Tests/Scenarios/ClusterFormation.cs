using Akka.Actor;
using Akka.Cluster;

namespace Appliance.Cluster.Tests.Scenarios;

/// <summary>Waits on Akka membership across the actor systems of one in-process test cluster.</summary>
internal static class ClusterFormation
{
    /// <summary>
    /// Waits until every system in <paramref name="systems"/> (read afresh on each check) sees all of them as Up members
    /// with none unreachable.
    /// </summary>
    public static Task AllUpAsync(Func<IReadOnlyCollection<ActorSystem>> systems, string what, TimeSpan timeout) =>
        Eventually.TrueAsync(() =>
        {
            var running = systems();
            var up = running.All(system =>
            {
                var state = Akka.Cluster.Cluster.Get(system).State;
                return state.Unreachable.Count == 0 && state.Members.Count(m => m.Status == MemberStatus.Up) == running.Count;
            });
            return Task.FromResult(up);
        }, what, timeout);

    /// <summary>
    /// Waits until no system in <paramref name="systems"/> still lists a member at <paramref name="address"/> (any
    /// incarnation): the survivors downed and removed a killed node.
    /// </summary>
    public static Task RemovedAsync(Func<IReadOnlyCollection<ActorSystem>> systems, Address address, string what, TimeSpan timeout) =>
        Eventually.TrueAsync(() => Task.FromResult(
            systems().All(system => Akka.Cluster.Cluster.Get(system).State.Members.All(m => m.Address != address))), what, timeout);
}
