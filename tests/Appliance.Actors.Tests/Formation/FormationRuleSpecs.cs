using Akka.Actor;
using Appliance.Actors.Formation;

namespace Appliance.Actors.Tests.Formation;

/// <summary>Who forms the cluster and whom a node joins (<see cref="FormationRule"/>).</summary>
public sealed class FormationRuleSpecs
{
    private static readonly Address N1 = At(1), N2 = At(2), N3 = At(3), N4 = At(4);
    private static readonly Address[] Seeds = [N1, N2, N3];
    private static readonly TimeSpan Margin = TimeSpan.FromSeconds(2);

    private static Address At(int n) => new("akka.tcp", "appliance", $"10.0.0.{n}", 4053);

    private static FormationDecision Decide(Address self, Dictionary<Address, IReadOnlyList<Address>> answers, double stableSeconds = 5,
        IReadOnlyCollection<Address>? seeds = null, IReadOnlyCollection<Address>? probedBy = null) =>
        FormationRule.Decide(self, seeds ?? Seeds, answers, probedBy ?? [], TimeSpan.FromSeconds(stableSeconds), Margin);

    [Fact]
    public void The_lowest_of_a_stable_quorum_of_non_members_forms_the_cluster()
    {
        var answers = new Dictionary<Address, IReadOnlyList<Address>> { [N1] = [], [N2] = [], [N3] = [] };
        Assert.IsType<FormNew>(Decide(N1, answers));
        Assert.IsType<KeepProbing>(Decide(N2, answers));
        Assert.IsType<KeepProbing>(Decide(N3, answers));
    }

    [Fact]
    public void A_cold_start_without_the_first_seed_forms_with_the_other_two()
    {
        // The finding of issue 16: with n1 dead, Akka's seed process never formed (n1 alone may form a new cluster).
        var answers = new Dictionary<Address, IReadOnlyList<Address>> { [N2] = [], [N3] = [] };
        Assert.IsType<FormNew>(Decide(N2, answers));
        Assert.Contains(N2.ToString(), Assert.IsType<KeepProbing>(Decide(N3, answers)).Reason);
    }

    [Fact]
    public void A_node_alone_never_forms_a_cluster()
    {
        // A first seed restarted quickly, before its peers answer: Akka's seed process formed an island here.
        var decision = Decide(N1, new Dictionary<Address, IReadOnlyList<Address>> { [N1] = [] }, stableSeconds: 60);
        Assert.Contains("needs 2", Assert.IsType<KeepProbing>(decision).Reason);
    }

    [Fact]
    public void No_cluster_is_formed_before_the_answers_have_been_stable_for_the_margin()
    {
        var answers = new Dictionary<Address, IReadOnlyList<Address>> { [N1] = [], [N2] = [] };
        Assert.IsType<KeepProbing>(Decide(N1, answers, stableSeconds: 1.9));
        Assert.IsType<FormNew>(Decide(N1, answers, stableSeconds: 2));
    }

    [Fact]
    public void A_complete_view_forms_at_once_and_a_partial_one_waits_out_the_margin()
    {
        var all = new Dictionary<Address, IReadOnlyList<Address>> { [N1] = [], [N2] = [], [N3] = [] };
        Assert.Contains("all 3 seeds answer", Assert.IsType<FormNew>(Decide(N1, all, stableSeconds: 0)).Reason);
        var two = new Dictionary<Address, IReadOnlyList<Address>> { [N1] = [], [N2] = [] };
        Assert.Contains("held for", Assert.IsType<KeepProbing>(Decide(N1, two, stableSeconds: 0.5)).Reason);
    }

    [Fact]
    public void A_lower_seed_that_probed_but_has_not_answered_keeps_this_node_from_forming()
    {
        // n2 and n3 with n1 down have held for the margin, but n1 has just started and probed n2: n1 may already have
        // n2's answer and every other, and form at once. n2 waits for n1's answer instead.
        var answers = new Dictionary<Address, IReadOnlyList<Address>> { [N2] = [], [N3] = [] };
        Assert.IsType<FormNew>(Decide(N2, answers));
        Assert.Contains($"{N1} probes this node", Assert.IsType<KeepProbing>(Decide(N2, answers, probedBy: [N1])).Reason);
        // A higher seed's probe changes nothing, and neither does one whose answer is in.
        Assert.IsType<FormNew>(Decide(N2, answers, probedBy: [N3]));
        Assert.IsType<FormNew>(Decide(N1, new() { [N1] = [], [N2] = [] }, probedBy: [N2]));
    }

    [Fact]
    public void A_node_joins_a_seed_that_is_a_member_even_when_it_would_be_the_lowest()
    {
        // n1 restarted while n2 and n3 run the cluster: it joins them rather than forming its own.
        var answers = new Dictionary<Address, IReadOnlyList<Address>> { [N1] = [], [N2] = [N2, N3], [N3] = [N2, N3] };
        var join = Assert.IsType<JoinExisting>(Decide(N1, answers));
        Assert.Equal(N2, join.Via);
    }

    [Fact]
    public void A_cluster_that_still_lists_this_nodes_old_incarnation_is_joined()
    {
        var answers = new Dictionary<Address, IReadOnlyList<Address>> { [N1] = [], [N2] = [N1, N2, N3] };
        Assert.Equal(N2, Assert.IsType<JoinExisting>(Decide(N1, answers)).Via);
    }

    [Fact]
    public void Between_two_answering_clusters_the_larger_is_joined()
    {
        var answers = new Dictionary<Address, IReadOnlyList<Address>> { [N1] = [N1], [N2] = [N2, N3], [N3] = [N2, N3] };
        Assert.Equal(N2, Assert.IsType<JoinExisting>(Decide(N4, answers, seeds: [N1, N2, N3, N4])).Via);
    }

    [Fact]
    public void A_node_outside_the_seed_list_never_forms_a_cluster_but_joins_one()
    {
        var none = new Dictionary<Address, IReadOnlyList<Address>> { [N1] = [], [N2] = [], [N3] = [], [N4] = [] };
        Assert.Contains("not a seed", Assert.IsType<KeepProbing>(Decide(N4, none)).Reason);
        var formed = new Dictionary<Address, IReadOnlyList<Address>> { [N1] = [N1], [N4] = [] };
        Assert.Equal(N1, Assert.IsType<JoinExisting>(Decide(N4, formed)).Via);
    }

    [Fact]
    public void Answers_from_outside_the_seed_list_do_not_count_towards_the_quorum()
    {
        var answers = new Dictionary<Address, IReadOnlyList<Address>> { [N1] = [], [N4] = [] };
        Assert.IsType<KeepProbing>(Decide(N1, answers));
    }

    [Fact]
    public void Two_disjoint_quorums_of_one_seed_list_cannot_both_form()
    {
        // Every split of the answering seeds into two groups: at most one group reaches the quorum, so at most one
        // node forms a cluster, whatever each group sees.
        var seeds = new[] { N1, N2, N3, N4 };
        for (var mask = 0; mask < 1 << seeds.Length; mask++)
        {
            var left = seeds.Where((_, i) => (mask & (1 << i)) != 0).ToList();
            var right = seeds.Except(left).ToList();
            var formers = new[] { left, right }.Sum(group => group.Count(self =>
                Decide(self, group.ToDictionary(a => a, IReadOnlyList<Address> (_) => []), seeds: seeds) is FormNew));
            Assert.True(formers <= 1, $"split {string.Join(",", left)} | {string.Join(",", right)} formed {formers} clusters");
        }
    }
}
