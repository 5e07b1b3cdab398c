using Akka.Actor;
using Akka.Cluster;
using Appliance.Actors.Formation;
using Appliance.Actors.Protocol;

namespace Appliance.Host.Node;

/// <summary>
/// Restarts a node that sits alone in a cluster of its own while the others run one without it: Akka clusters never
/// merge, so only a new incarnation of the process, which <see cref="Appliance.Actors.Formation.FormationActor"/> brings
/// into the running cluster, ends it. <see cref="Appliance.Actors.Formation.FormationRule"/> no longer lets a node form a
/// cluster alone, but a long pause still can leave one behind (found by the chaos suite: the primary's host, stopped
/// for 6 s, resumed as leader of its own view, downed both peers while they downed it, and then sat alone, deposed,
/// while the other two ran on without it; see <see cref="IsAlone"/>). A node that has been the only member for
/// <c>appliance.self-restart.island-patience</c> (20 s) stops with <see cref="SelfRestartWatch.ExitCode"/> when
/// <see cref="Evidence"/> shows the real cluster; a lone node whose peers are merely not members yet (still starting, or joining it) stays.
/// </summary>
internal sealed class IslandWatch(NodeOptions options, IServiceProvider services, IHostApplicationLifetime lifetime, ILogger<IslandWatch> log)
    : SelfRestartWatch(services, lifetime, log)
{
    protected override string PatienceKey => "island-patience";

    protected override Task<string?> ConditionAsync(ActorSystem system, CancellationToken ct)
    {
        var cluster = Cluster.Get(system);
        var alone = IsAlone(cluster.SelfMember.Status, [.. cluster.State.Members.Select(m => m.Address)], cluster.SelfAddress);
        return Task.FromResult(alone ? "alone in a cluster of its own" : null);
    }

    protected override async Task<string?> ConfirmAsync(ActorSystem system, string condition, TimeSpan lasted, CancellationToken ct)
    {
        FormationActor.Answers answers;
        try
        {
            answers = await system.ActorSelection($"/user/{FormationProtocol.ActorName}")
                .Ask<FormationActor.Answers>(FormationActor.GetAnswers.Instance, TimeSpan.FromSeconds(2), ct);
        }
        catch (Exception e) when (e is AskTimeoutException or ActorNotFoundException or OperationCanceledException) { return null; }
        // Only when no seed answers at all is a TCP accept on a seed's Akka port worth asking for.
        var seedAccepting = answers.ByAddress.Count == 0 ? await SeedProbe.AnotherSeedAnswersAsync(options, ct) : null;
        return Evidence(Cluster.Get(system).SelfAddress, answers.ByAddress, seedAccepting) is { } evidence
            ? $"Node {options.Name} has been {condition} for {lasted.TotalSeconds:0} s while {evidence}: a restart joins the existing cluster"
            : null;
    }

    /// <summary>
    /// Whether a lone node's peers show that a cluster runs without it, in a few words, or null if they do not:
    /// another seed answers as a member of a cluster that does not include this node, or no seed's formation actor
    /// answers at all while a seed accepts connections (their remoting refuses this incarnation, as after it was downed
    /// and quarantined). Seeds that answer as non-members are still starting or joining, and are no evidence.
    /// </summary>
    public static string? Evidence(Address self, IReadOnlyDictionary<Address, IReadOnlyList<Address>> answers, string? seedAccepting)
    {
        foreach (var (seed, members) in answers)
            if (members.Count > 0 && !members.Contains(self))
                return $"{seed} is a member of a cluster of {members.Count} without it";
        return answers.Count == 0 && seedAccepting is not null
            ? $"seed {seedAccepting} accepts connections but no seed answers its probes"
            : null;
    }

    /// <summary>
    /// Whether a node is the only member of its cluster: still joining (it joined itself), or up after it removed
    /// every other member, the island a long pause leaves behind.
    /// </summary>
    public static bool IsAlone(MemberStatus self, IReadOnlyCollection<Address> members, Address selfAddress) =>
        self is MemberStatus.Joining or MemberStatus.Up && members.Count == 1 && members.First().Equals(selfAddress);
}
