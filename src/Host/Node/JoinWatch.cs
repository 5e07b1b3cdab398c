using Akka.Actor;
using Akka.Cluster;

namespace Appliance.Host.Node;

/// <summary>
/// Restarts a node that has not become a member for <c>appliance.self-restart.join-patience</c> (60 s) while another
/// seed runs. A node restarted within a few seconds of a crash, on the same address, can find its peers' remoting still
/// tied to its dead incarnation: they receive its InitJoin and answer, but nothing of theirs reaches it, and it retries "Couldn't join
/// seed nodes" for good (found by the failover bench on a quiet machine: a killed primary, restarted 5 s later, stayed
/// outside for 5 minutes). A new incarnation, with a new handshake, gets in. A cold start of the whole cluster forms
/// within a few seconds (<see cref="Appliance.Actors.Formation.FormationRule"/>), well inside the patience.
/// </summary>
internal sealed class JoinWatch(NodeOptions options, IServiceProvider services, IHostApplicationLifetime lifetime, ILogger<JoinWatch> log)
    : SelfRestartWatch(services, lifetime, log)
{
    protected override string PatienceKey => "join-patience";

    protected override Task<string?> ConditionAsync(ActorSystem system, CancellationToken ct)
    {
        var cluster = Cluster.Get(system);
        var outside = IsOutside([.. cluster.State.Members.Select(m => m.Address)], cluster.SelfAddress);
        return Task.FromResult(outside ? "outside the cluster (not a member)" : null);
    }

    protected override async Task<string?> ConfirmAsync(ActorSystem system, string condition, TimeSpan lasted, CancellationToken ct) =>
        await SeedProbe.AnotherSeedAnswersAsync(options, ct) is { } seed
            ? $"Node {options.Name} has been {condition} for {lasted.TotalSeconds:0} s while seed {seed} runs: a new incarnation joins afresh"
            : null;

    /// <summary>Whether this node is not (yet) a member: its own view of the membership does not contain it.</summary>
    public static bool IsOutside(IReadOnlyCollection<Address> members, Address self) => !members.Contains(self);
}
