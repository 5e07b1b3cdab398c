using Akka.Actor;
using Akka.Cluster;

namespace Appliance.Actors.Formation;

/// <summary>
/// Who forms the cluster, and whom a node joins: join any cluster a seed answers from, as Akka.Management's Cluster
/// Bootstrap does; otherwise form one only with the votes of a majority of the seed list.
/// </summary>
/// <remarks>
/// Each node names one candidate at a time (<see cref="FormationView"/>: the lowest seed it knows alive, kept while that
/// seed lives, and moved only after a pause), and a node forms a cluster only when a majority of the list names it. Two
/// majorities of one list share a node, and that node names one of the two, so two nodes do not both form even where
/// they cannot hear each other (a link that fails in one or both directions), as long as messages and process stalls
/// stay within the bounds that docs/ARCHITECTURE.md §10, "Forming the cluster", derives from the timings.
/// </remarks>
public static class FormationRule
{
    /// <summary>Decides for a node that is not a member of any cluster.</summary>
    /// <param name="self">This node's address.</param>
    /// <param name="seeds">The seed list (<c>--seed-nodes</c>), the same on every node.</param>
    /// <param name="answers">The other seeds' fresh answers, by address.</param>
    /// <param name="ownVote">Whom this node names itself (null: no one now).</param>
    /// <param name="heldPrevious">
    /// A previous incarnation of this node (a process that ran on its address before this one) that a member has held
    /// lately (<see cref="FormationView"/> decides how lately, and bounds the wait); null if none.
    /// </param>
    /// <param name="answersSettled">
    /// False while the other seeds' answers to this node's first probes may still be on their way (<see cref="FormationView"/>:
    /// until each has answered, for a probe interval at most after the first member's answer): the first to arrive may come
    /// from a member that has removed a previous incarnation, while another still holds it.
    /// </param>
    public static FormationDecision Decide(Address self, IReadOnlyCollection<Address> seeds,
        IReadOnlyDictionary<Address, SeedAnswer> answers, Address? ownVote, UniqueAddress? heldPrevious = null, bool answersSettled = true)
    {
        // The largest cluster that answered, then the lowest address: two answering clusters (an island that a long
        // pause left behind) must not split the newcomers between them.
        var existing = answers
            .Where(a => !a.Key.Equals(self) && a.Value.Members.Any(m => !m.Equals(self)))
            .OrderByDescending(a => a.Value.Members.Count).ThenBy(a => a.Key, Member.AddressOrdering)
            .Select(a => a.Key).FirstOrDefault();
        if (existing is not null)
        {
            // A process restarted on the same address while a member still holds the dead one: joined then, a peer's
            // remoting could take the new process for the old one, and a peer that cannot hear it has it downed soon
            // after, with itself when it is the leader (BENCHMARKS finding 7). Once every member has removed the old
            // incarnation the join goes through cleanly; the failure detector and the split-brain resolver see to
            // that within a few seconds of the crash.
            if (heldPrevious is not null)
                return new KeepProbing($"the cluster held this node's previous incarnation (uid {heldPrevious.Uid}) lately; " +
                                       "it joins once the members have removed it");
            if (!answersSettled)
                return new KeepProbing("waiting for every seed's first answer (a probe interval at most), in case one still holds a " +
                                       "previous incarnation of this node");
            return new JoinExisting(existing, $"{existing} is a member of a cluster of {answers[existing].Members.Count}");
        }

        if (!seeds.Contains(self))
            return new KeepProbing("this node is not a seed, so it waits for a seed to form the cluster and then joins it");
        var quorum = seeds.Count / 2 + 1;
        var votes = answers.Count(a => seeds.Contains(a.Key) && a.Value.Members.Count == 0 && self.Equals(a.Value.Vote))
            + (self.Equals(ownVote) ? 1 : 0);
        if (votes >= quorum)
            return new FormNew($"{votes} of {seeds.Count} seeds name this node to form the cluster, none a member");
        if (ownVote is null)
            return new KeepProbing("this node names no one yet: it waits out the pause after its last candidate");
        if (!ownVote.Equals(self))
            return new KeepProbing($"this node names {ownVote}, the lowest seed it knew alive, to form the cluster");
        return new KeepProbing($"{votes} of {seeds.Count} seeds name this node to form the cluster; that needs {quorum}");
    }

    /// <summary>An incarnation on this node's address other than <paramref name="incarnation"/> that <paramref name="answer"/>'s sender holds.</summary>
    public static UniqueAddress? PreviousIncarnation(SeedAnswer answer, UniqueAddress incarnation) =>
        answer.Incarnations.FirstOrDefault(m => m.Address.Equals(incarnation.Address) && m.Uid != incarnation.Uid);
}
