using Akka.Actor;
using Akka.Cluster;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Appliance.Host.Node;

/// <summary>
/// Restarts a node that formed a cluster of its own. The first seed node joins itself when no other seed answers
/// within Akka's seed-node timeout; after a crash and a quick restart the others may still be busy with its old
/// incarnation, so it becomes an island: a one-member cluster that never reaches <c>min-nr-of-members</c> and never
/// merges with the real one (Akka clusters do not merge). Found by the chaos suite (a restart of n1 left the cluster
/// at primary + sync for good). A long pause can leave the same island behind with the node up (see
/// <see cref="IsAlone"/>). A node that has been the only member for <see cref="AlonePatience"/> while another seed answers
/// on its Akka port stops with <see cref="SelfRestartWatch.ExitCode"/> so that its supervisor starts it again, and the
/// new incarnation joins the existing cluster.
/// </summary>
internal sealed class IslandWatch(NodeOptions options, IServiceProvider services, IHostApplicationLifetime lifetime, ILogger<IslandWatch> log)
    : SelfRestartWatch(services, lifetime, log)
{
    /// <summary>How long a node may sit alone in a cluster of its own before it checks for the real one.</summary>
    public static readonly TimeSpan AlonePatience = TimeSpan.FromSeconds(20);

    protected override TimeSpan Patience => AlonePatience;

    protected override Task<string?> ConditionAsync(ActorSystem system, CancellationToken ct)
    {
        var cluster = Cluster.Get(system);
        var alone = IsAlone(cluster.SelfMember.Status, [.. cluster.State.Members.Select(m => m.Address)], cluster.SelfAddress);
        return Task.FromResult(alone ? "alone in a cluster of its own" : null);
    }

    protected override async Task<string?> ConfirmAsync(string condition, TimeSpan lasted, CancellationToken ct) =>
        await SeedProbe.AnotherSeedAnswersAsync(options, ct) is { } seed
            ? $"Node {options.Name} has been {condition} for {lasted.TotalSeconds:0} s while seed {seed} runs: a restart joins the existing cluster"
            : null;

    /// <summary>
    /// Whether a node is the only member of its cluster: still joining (a first seed that joined itself), or up after it
    /// removed every other member. The second is the island a long pause leaves behind (found by the chaos suite:
    /// the primary's host, stopped for 6 s, resumed as leader of its own view, downed both peers while they downed it,
    /// and then sat alone, deposed, while the other two ran on without it).
    /// </summary>
    public static bool IsAlone(MemberStatus self, IReadOnlyCollection<Address> members, Address selfAddress) =>
        self is MemberStatus.Joining or MemberStatus.Up && members.Count == 1 && members.First().Equals(selfAddress);
}
