using Akka.Actor;
using Akka.Cluster;
using Appliance.Actors.Formation;

namespace Appliance.Actors.Tests.Formation;

/// <summary>Who forms the cluster and whom a node joins (<see cref="FormationRule"/>).</summary>
public sealed class FormationRuleSpecs
{
    private static readonly Address N1 = At(1), N2 = At(2), N3 = At(3), N4 = At(4);
    private static readonly Address[] Seeds = [N1, N2, N3];

    private static Address At(int n) => new("akka.tcp", "appliance", $"10.0.0.{n}", 4053);

    private static SeedAnswer Names(Address vote) => new([], vote);

    private static SeedAnswer MemberOf(params Address[] members) => new(members, null);

    private static FormationDecision Decide(Address self, Dictionary<Address, SeedAnswer> answers, Address? ownVote,
        IReadOnlyCollection<Address>? seeds = null) =>
        FormationRule.Decide(self, seeds ?? Seeds, answers, ownVote);

    [Fact]
    public void A_node_that_a_majority_of_the_seeds_names_forms_the_cluster()
    {
        Assert.IsType<FormNew>(Decide(N1, new() { [N2] = Names(N1) }, ownVote: N1));
        Assert.IsType<FormNew>(Decide(N1, new() { [N2] = Names(N1), [N3] = Names(N1) }, ownVote: N1));
        // Its own vote counts once: alone it never forms, whatever it names.
        Assert.Contains("needs 2", Assert.IsType<KeepProbing>(Decide(N1, new() { [N2] = Names(N3) }, ownVote: N1)).Reason);
        Assert.Contains("needs 2", Assert.IsType<KeepProbing>(Decide(N1, [], ownVote: N1)).Reason);
    }

    [Fact]
    public void A_cold_start_without_the_first_seed_forms_with_the_other_two()
    {
        // The finding of issue 16: with n1 dead, Akka's seed process never formed (n1 alone may form a new cluster).
        Assert.IsType<FormNew>(Decide(N2, new() { [N3] = Names(N2) }, ownVote: N2));
        Assert.Contains($"names {N2}", Assert.IsType<KeepProbing>(Decide(N3, new() { [N2] = Names(N2) }, ownVote: N2)).Reason);
    }

    [Fact]
    public void A_node_that_names_another_or_no_one_does_not_form_even_with_the_others_votes()
    {
        Assert.Contains($"names {N1}", Assert.IsType<KeepProbing>(Decide(N2, new() { [N3] = Names(N2) }, ownVote: N1)).Reason);
        Assert.Contains("names no one", Assert.IsType<KeepProbing>(Decide(N2, new() { [N3] = Names(N2) }, ownVote: null)).Reason);
        Assert.IsType<FormNew>(Decide(N2, new() { [N1] = Names(N2), [N3] = Names(N2) }, ownVote: null));
    }

    [Fact]
    public void Votes_from_outside_the_seed_list_or_from_members_do_not_count()
    {
        Assert.IsType<KeepProbing>(Decide(N1, new() { [N4] = Names(N1) }, ownVote: N1));
        // A member's answer is joined, not counted.
        Assert.IsType<JoinExisting>(Decide(N1, new() { [N2] = new SeedAnswer([N2], N1) }, ownVote: N1));
    }

    [Fact]
    public void A_node_joins_a_seed_that_is_a_member_even_when_it_would_be_the_lowest()
    {
        // n1 restarted while n2 and n3 run the cluster: it joins them rather than forming its own.
        var answers = new Dictionary<Address, SeedAnswer> { [N2] = MemberOf(N2, N3), [N3] = MemberOf(N2, N3) };
        Assert.Equal(N2, Assert.IsType<JoinExisting>(Decide(N1, answers, ownVote: N1)).Via);
    }

    [Fact]
    public void A_node_whose_previous_incarnation_a_member_held_lately_waits_instead_of_joining()
    {
        // n1 restarted on its address while n2 still holds the dead process (finding 7).
        var answers = new Dictionary<Address, SeedAnswer> { [N2] = MemberOf(N1, N2, N3) };
        var wait = Assert.IsType<KeepProbing>(FormationRule.Decide(N1, Seeds, answers, ownVote: null, heldPrevious: new UniqueAddress(N1, 7)));
        Assert.Contains("previous incarnation (uid 7)", wait.Reason);
        // With no previous incarnation held (gone, the wait over, or a seed of a version that does not say) it joins.
        Assert.Equal(N2, Assert.IsType<JoinExisting>(Decide(N1, answers, ownVote: null)).Via);
    }

    [Fact]
    public void A_previous_incarnation_is_another_uid_on_this_nodes_address()
    {
        var self = new UniqueAddress(N1, 8);
        var answer = new SeedAnswer([N1, N2], null, [new UniqueAddress(N1, 7), new UniqueAddress(N2, 3)]);
        Assert.Equal(new UniqueAddress(N1, 7), FormationRule.PreviousIncarnation(answer, self));
        // Its own incarnation, already joining, is not one; nor is another node's.
        Assert.Null(FormationRule.PreviousIncarnation(new SeedAnswer([N1, N2], null, [self, new UniqueAddress(N2, 7)]), self));
        Assert.Null(FormationRule.PreviousIncarnation(new SeedAnswer([N1, N2], null), self));
    }

    [Fact]
    public void Between_two_answering_clusters_the_larger_is_joined()
    {
        var answers = new Dictionary<Address, SeedAnswer> { [N1] = MemberOf(N1), [N2] = MemberOf(N2, N3), [N3] = MemberOf(N2, N3) };
        Assert.Equal(N2, Assert.IsType<JoinExisting>(Decide(N4, answers, ownVote: null, seeds: [N1, N2, N3, N4])).Via);
    }

    [Fact]
    public void A_node_outside_the_seed_list_never_forms_a_cluster_but_joins_one()
    {
        Assert.Contains("not a seed", Assert.IsType<KeepProbing>(Decide(N4, new() { [N1] = Names(N4), [N2] = Names(N4) }, ownVote: N4)).Reason);
        Assert.Equal(N1, Assert.IsType<JoinExisting>(Decide(N4, new() { [N1] = MemberOf(N1) }, ownVote: null)).Via);
    }

    [Fact]
    public void While_each_seed_names_one_candidate_no_two_seeds_both_gather_a_majority()
    {
        // Every assignment of votes over four seeds (each names one seed or no one), each node seeing every vote or only
        // some: at most one node forms. This is the rule's half of the safety argument; FormationView's stickiness and
        // pause are the other half (FormationSimulationSpecs).
        var seeds = new[] { N1, N2, N3, N4 };
        Address?[] choices = [null, .. seeds];
        var assignments = 1;
        foreach (var _ in seeds) assignments *= choices.Length;
        for (var code = 0; code < assignments; code++)
        {
            var votes = new Address?[seeds.Length];
            for (int i = 0, c = code; i < seeds.Length; i++, c /= choices.Length) votes[i] = choices[c % choices.Length];
            var formers = seeds.Select((self, i) => (self, i)).Count(s =>
                Decide(s.self, seeds.Select((other, j) => (other, j)).Where(o => o.j != s.i).ToDictionary(o => o.other, o => Names(votes[o.j]!)),
                    votes[s.i], seeds) is FormNew);
            Assert.True(formers <= 1, $"votes [{string.Join(", ", votes.Select(v => v?.Host ?? "-"))}] formed {formers} clusters");
        }
    }
}
