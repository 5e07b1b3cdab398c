using Akka.Actor;
using Akka.Cluster;
using Appliance.Actors.Formation;

namespace Appliance.Actors.Tests.Formation;

/// <summary>Whom a node names to form the cluster, and for how long (<see cref="FormationView"/>).</summary>
public sealed class FormationViewSpecs
{
    private static readonly Address N1 = At(1), N2 = At(2), N3 = At(3);
    private static readonly Address[] Seeds = [N1, N2, N3];
    private static readonly FormationSettings Settings = FormationSettings.Default;
    private static readonly DateTime T0 = new(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    private static Address At(int n) => new("akka.tcp", "appliance", $"10.0.0.{n}", 4053);

    private static DateTime Ms(double ms) => T0.AddMilliseconds(ms);

    private static (FormationView View, Address? Vote) AnswerProbe(FormationView view, Address from, DateTime now)
    {
        (view, var answer) = view.Probed(from, now).Answer([], now);
        return (view, answer.Vote);
    }

    [Fact]
    public void A_node_names_the_lowest_seed_it_knows_alive_itself_included()
    {
        var n3 = FormationView.Start(N3, Seeds, Settings);
        var (_, vote) = AnswerProbe(n3, N2, Ms(0));
        Assert.Equal(N2, vote);
        var n2 = FormationView.Start(N2, Seeds, Settings);
        (_, vote) = AnswerProbe(n2, N3, Ms(0));
        Assert.Equal(N2, vote);
    }

    [Fact]
    public void A_node_keeps_naming_a_live_candidate_when_a_lower_seed_appears()
    {
        var (n3, vote) = AnswerProbe(FormationView.Start(N3, Seeds, Settings), N2, Ms(0));
        Assert.Equal(N2, vote);
        n3 = n3.Answered(N2, SeedAnswer.None, Ms(400));
        (n3, vote) = AnswerProbe(n3, N1, Ms(500));
        Assert.Equal(N2, vote);   // n2 may be forming on this node's vote; naming n1 too could make two clusters
        Assert.Equal(N2, n3.Candidate);
    }

    [Fact]
    public void A_node_names_no_one_while_any_seed_answers_as_a_member()
    {
        var n3 = FormationView.Start(N3, Seeds, Settings).Answered(N2, new SeedAnswer([N2], null), Ms(0));
        var (_, vote) = AnswerProbe(n3, N1, Ms(10));
        Assert.Null(vote);
        Assert.IsType<JoinExisting>(n3.Decide(Ms(10)).Decision);
    }

    [Fact]
    public void A_node_that_saw_a_member_names_no_one_for_the_pause_even_after_that_answer_expired()
    {
        // Its candidate may have formed on its vote; the member's answer only stays fresh for answer-freshness, and a
        // node still joining must not name another seed once it expires.
        var n3 = FormationView.Start(N3, Seeds, Settings).Answered(N2, new SeedAnswer([N2], null), Ms(0));
        var (_, vote) = AnswerProbe(n3, N1, Ms(Settings.AnswerFreshness.TotalMilliseconds + 500));
        Assert.Null(vote);
        (_, vote) = AnswerProbe(n3, N1, Ms(Settings.VotePause.TotalMilliseconds));
        Assert.Equal(N1, vote);
    }

    [Fact]
    public void A_node_that_decided_to_form_answers_as_the_one_member_of_its_cluster()
    {
        var n1 = FormationView.Start(N1, Seeds, Settings).Answered(N2, new SeedAnswer([], N1), Ms(0));
        (n1, var decision) = n1.Decide(Ms(1));
        Assert.IsType<FormNew>(decision);
        var (_, answer) = n1.Answer([], Ms(2));
        Assert.Equal([N1], answer.Members);
        Assert.Null(answer.Vote);
        // Its join to itself is sent again (after join-retry) until it is a member, whatever it hears meanwhile.
        Assert.IsType<FormNew>(n1.Answered(N2, SeedAnswer.None, Ms(3000)).Decide(Ms(3000)).Decision);
    }

    [Fact]
    public void After_its_candidate_falls_silent_a_node_names_no_one_for_the_pause_then_the_lowest_alive()
    {
        var (n3, _) = AnswerProbe(FormationView.Start(N3, Seeds, Settings), N1, Ms(0));
        Assert.Equal(N1, n3.Candidate);
        // n1 stops; n2 keeps probing. Until n1's probe is older than answer-freshness, n3 still names n1.
        var freshness = Settings.AnswerFreshness.TotalMilliseconds;
        (n3, var vote) = AnswerProbe(n3, N2, Ms(freshness - 1));
        Assert.Equal(N1, vote);
        var lastNamed = freshness - 1;
        (n3, vote) = AnswerProbe(n3, N2, Ms(freshness + 100));
        Assert.Null(vote);
        (n3, vote) = AnswerProbe(n3, N2, Ms(lastNamed + Settings.VotePause.TotalMilliseconds - 1));
        Assert.Null(vote);
        (_, vote) = AnswerProbe(n3, N2, Ms(lastNamed + Settings.VotePause.TotalMilliseconds));
        Assert.Equal(N2, vote);
    }

    [Fact]
    public void After_the_vote_term_a_node_gives_up_a_candidate_that_never_formed_for_a_lower_one()
    {
        var (n3, _) = AnswerProbe(FormationView.Start(N3, Seeds, Settings), N2, Ms(0));
        var term = Settings.VoteTerm.TotalMilliseconds;
        var lastNamed = 0.0;
        Address? vote = null;
        for (var t = 500.0; t < term; t += 500)
        {
            (n3, vote) = AnswerProbe(n3, N2, Ms(t));
            (n3, _) = AnswerProbe(n3, N1, Ms(t));
            lastNamed = t;
        }
        Assert.Equal(N2, vote);
        (n3, vote) = AnswerProbe(n3, N1, Ms(term));
        Assert.Null(vote);
        (_, vote) = AnswerProbe(n3, N1, Ms(lastNamed + Settings.VotePause.TotalMilliseconds));
        Assert.Equal(N1, vote);
    }

    [Fact]
    public void A_node_that_named_itself_names_a_lower_seed_as_soon_as_it_hears_of_one()
    {
        // Only the node itself counts its vote for itself, and it knows whether it formed on it: naming itself binds
        // no one else, so it needs neither stickiness nor a pause.
        var n2 = FormationView.Start(N2, Seeds, Settings).Probed(N3, Ms(0));
        (n2, var decision) = n2.Decide(Ms(0));
        Assert.Equal(N2, n2.Candidate);
        Assert.IsType<KeepProbing>(decision);
        var (_, vote) = AnswerProbe(n2, N1, Ms(100));
        Assert.Equal(N1, vote);
    }
    [Fact]
    public void A_restarted_node_joins_only_after_the_members_have_gone_a_while_without_its_previous_incarnation()
    {
        var old = new UniqueAddress(N1, 7);
        var held = new SeedAnswer([N1, N2, N3], null, [old, new UniqueAddress(N2, 2), new UniqueAddress(N3, 3)]);
        var removed = new SeedAnswer([N2, N3], null, [new UniqueAddress(N2, 2), new UniqueAddress(N3, 3)]);
        var n1 = FormationView.Start(N1, Seeds, Settings, new UniqueAddress(N1, 8))
            .Answered(N2, held, Ms(0)).Answered(N3, removed, Ms(100));
        Assert.IsType<KeepProbing>(n1.Decide(Ms(200)).Decision);   // n2 still holds it
        n1 = n1.Answered(N2, removed, Ms(500));
        // Both answer without it now, but n2 held it 0.5 s ago: a member may not have quarantined the old one yet.
        Assert.IsType<KeepProbing>(n1.Decide(Ms(600)).Decision);
        n1 = n1.Answered(N2, removed, Ms(2000)).Answered(N3, removed, Ms(2000));
        Assert.IsType<JoinExisting>(n1.Decide(Ms(2000)).Decision);   // answer-freshness (2 s) after it was last held
    }

    [Fact]
    public void A_restarted_node_joins_anyway_once_the_patience_is_over()
    {
        var held = new SeedAnswer([N1, N2], null, [new UniqueAddress(N1, 7), new UniqueAddress(N2, 2)]);
        var n1 = FormationView.Start(N1, Seeds, Settings, new UniqueAddress(N1, 8)).Answered(N2, held, Ms(0));
        var patience = Settings.PreviousIncarnationPatience.TotalMilliseconds;
        n1 = n1.Answered(N2, held, Ms(patience - 100));
        Assert.IsType<KeepProbing>(n1.Decide(Ms(patience - 100)).Decision);
        n1 = n1.Answered(N2, held, Ms(patience));
        Assert.IsType<JoinExisting>(n1.Decide(Ms(patience)).Decision);   // Akka's join handling downs the old one
    }

    [Fact]
    public void A_node_listed_with_its_own_uid_or_without_one_joins_once_every_seed_answered_or_after_a_probe_interval()
    {
        var self = new UniqueAddress(N1, 8);
        var interval = Settings.ProbeInterval.TotalMilliseconds;
        var joining = new SeedAnswer([N1, N2], null, [self, new UniqueAddress(N2, 2)]);
        var n1 = FormationView.Start(N1, Seeds, Settings, self).Answered(N2, joining, Ms(0));
        // n3 has not answered: it may be down, or its answer may be the one that still holds an old incarnation.
        Assert.Contains("first answer", Assert.IsType<KeepProbing>(n1.Decide(Ms(interval - 1)).Decision).Reason);
        Assert.IsType<JoinExisting>(n1.Decide(Ms(interval)).Decision);
        // Both other seeds answered: no need to wait out the interval.
        Assert.IsType<JoinExisting>(FormationView.Start(N1, Seeds, Settings, self).Answered(N2, joining, Ms(0)).Answered(N3, joining, Ms(20)).Decide(Ms(20)).Decision);
        // A seed of an older version lists no incarnations: joined as before.
        Assert.IsType<JoinExisting>(FormationView.Start(N1, Seeds, Settings, self).Answered(N2, new SeedAnswer([N1, N2], null), Ms(0)).Decide(Ms(interval)).Decision);
        // A view that does not know its own incarnation does not wait at all.
        Assert.IsType<JoinExisting>(FormationView.Start(N1, Seeds, Settings).Answered(N2, joining, Ms(0)).Decide(Ms(0)).Decision);
    }

    [Fact]
    public void A_restarted_node_does_not_join_on_the_first_answer_while_another_member_may_still_hold_its_previous_incarnation()
    {
        // The leader n2 has removed the old n1; n3 has not heard of it yet. n2's answer arrives first.
        var old = new UniqueAddress(N1, 7);
        var removed = new SeedAnswer([N2, N3], null, [new UniqueAddress(N2, 2), new UniqueAddress(N3, 3)]);
        var held = new SeedAnswer([N1, N2, N3], null, [old, new UniqueAddress(N2, 2), new UniqueAddress(N3, 3)]);
        var n1 = FormationView.Start(N1, Seeds, Settings, new UniqueAddress(N1, 8)).Answered(N2, removed, Ms(0));
        Assert.IsType<KeepProbing>(n1.Decide(Ms(0)).Decision);
        n1 = n1.Answered(N3, held, Ms(30));
        Assert.Contains("previous incarnation (uid 7)", Assert.IsType<KeepProbing>(n1.Decide(Ms(Settings.ProbeInterval.TotalMilliseconds)).Decision).Reason);
    }
}
