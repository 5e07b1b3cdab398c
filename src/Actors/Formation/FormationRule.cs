using Akka.Actor;
using Akka.Cluster;

namespace Appliance.Actors.Formation;

/// <summary>
/// Who forms the cluster, and whom a node joins: the decision of Akka.Management's Cluster Bootstrap (join any cluster
/// a contact point is in; otherwise the lowest address of a confirmed quorum of contact points forms one), taken over
/// Akka remoting rather than a separate HTTP port.
/// </summary>
/// <remarks>
/// A node forms a cluster only with the answers of a majority of the seed list, all of them not members of any
/// cluster. Two disjoint majorities of one list do not exist, so a cold start split into two groups cannot form two
/// clusters the way Akka's "first seed joins itself after seed-node-timeout" could, and a restarted node whose peers
/// run on as a cluster joins them, because they answer as members. A node that is not in the seed list never forms a
/// cluster. When every seed answers, the lowest forms at once; a majority short of that must first hold for a margin.
/// Forming at once is safe because a node that answered a lower seed's probe holds that seed as alive
/// (the probers passed to <see cref="Decide"/>) and so does not form itself, and a node that decided to form
/// answers as a member (<see cref="FormationView.AnswerWith"/>). Not excluded: links that fail in one direction only,
/// or messages slower than the margin (docs/ARCHITECTURE.md §10, "Forming the cluster").
/// </remarks>
public static class FormationRule
{
    /// <summary>Decides for a node that is not a member of any cluster.</summary>
    /// <param name="self">This node's address.</param>
    /// <param name="seeds">The seed list (<c>--seed-nodes</c>), the same on every node.</param>
    /// <param name="answers">The fresh answers by address, this node's own included.</param>
    /// <param name="probedBy">The seeds whose probes arrived recently, answered or not.</param>
    /// <param name="stableFor">How long the set of answering non-members has been what it is now.</param>
    /// <param name="stableMargin">How long a majority short of the whole list must be unchanged before its lowest forms a cluster.</param>
    public static FormationDecision Decide(Address self, IReadOnlyCollection<Address> seeds,
        IReadOnlyDictionary<Address, IReadOnlyList<Address>> answers, IReadOnlyCollection<Address> probedBy, TimeSpan stableFor,
        TimeSpan stableMargin)
    {
        // The largest cluster that answered, then the lowest address: two answering clusters (an island that a long
        // pause left behind) must not split the newcomers between them.
        var existing = answers
            .Where(a => !a.Key.Equals(self) && a.Value.Any(m => !m.Equals(self)))
            .OrderByDescending(a => a.Value.Count).ThenBy(a => a.Key, Member.AddressOrdering)
            .Select(a => a.Key).FirstOrDefault();
        if (existing is not null)
            return new JoinExisting(existing, $"{existing} is a member of a cluster of {answers[existing].Count}");

        if (!seeds.Contains(self))
            return new KeepProbing("this node is not a seed, so it waits for a seed to form the cluster and then joins it");
        var quorum = seeds.Count / 2 + 1;
        var confirmed = answers.Keys.Where(seeds.Contains).OrderBy(a => a, Member.AddressOrdering).ToList();
        if (confirmed.Count < quorum)
            return new KeepProbing($"{confirmed.Count} of {seeds.Count} seeds answer, none a member; forming a cluster needs {quorum}");
        // A lower seed that probed this node may have its answer and form at once: its own answer is on the way.
        var lowerProber = probedBy.Where(p => seeds.Contains(p) && !answers.ContainsKey(p))
            .Where(p => Member.AddressOrdering.Compare(p, confirmed[0]) < 0).OrderBy(p => p, Member.AddressOrdering).FirstOrDefault();
        if (lowerProber is not null)
            return new KeepProbing($"{lowerProber} probes this node, so it is alive, but its answer has not arrived; being lower, it may form the cluster");
        var all = confirmed.Count == seeds.Count;
        if (!confirmed[0].Equals(self))
            return new KeepProbing($"{confirmed.Count} of {seeds.Count} seeds answer, none a member; {confirmed[0]}, the lowest address, forms the cluster");
        if (!all && stableFor < stableMargin)
            return new KeepProbing($"{confirmed.Count} of {seeds.Count} seeds answer; waiting until that has held for {stableMargin.TotalSeconds:0.#} s");
        return new FormNew(all
            ? $"all {seeds.Count} seeds answer, none a member, and this node has the lowest address"
            : $"{confirmed.Count} of {seeds.Count} seeds answer, none a member, for {stableMargin.TotalSeconds:0.#} s, and this node has the lowest address");
    }
}
