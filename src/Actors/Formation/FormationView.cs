using System.Collections.Immutable;
using Akka.Actor;
using Akka.Cluster;

namespace Appliance.Actors.Formation;

/// <summary>
/// What one node that is not yet a member knows while it forms or joins the cluster: the seeds' answers, the seeds
/// that probed it, whom it names to form the cluster, and whether it has decided to form. Pure: every event comes with
/// the time, and <see cref="Decide"/> applies <see cref="FormationRule"/>. <see cref="FormationActor"/> holds one and
/// runs its effects; the property tests run several over a simulated network.
/// </summary>
/// <remarks>
/// The vote is what keeps two nodes from forming at once. A node names the lowest seed it knows alive (itself, a seed
/// whose answer or probe arrived within <c>answer-freshness</c>) and keeps naming it while that seed stays alive, for
/// up to <c>vote-term</c>, even when it learns of a lower one. It names no one for <c>vote-pause</c> after it last saw a
/// seed answer as a member: it joins that cluster. A candidate other than itself that it gave up on is followed by a
/// pause of <c>vote-pause</c> after the last answer that named it, in which it names no one: long enough for that
/// candidate's old votes to expire and, had it formed on them, for its answer as a member to arrive.
/// </remarks>
internal sealed record FormationView
{
    private FormationView(Address self, IReadOnlyList<Address> seeds, FormationSettings settings, UniqueAddress? incarnation)
    {
        Self = self;
        Incarnation = incarnation;
        Seeds = seeds;
        Settings = settings;
    }

    /// <summary>This node's address.</summary>
    public Address Self { get; }

    /// <summary>This process's uid on <see cref="Self"/>, to tell it from a previous incarnation a member still holds; null if unknown.</summary>
    public UniqueAddress? Incarnation { get; }

    /// <summary>The seed list, the same on every node.</summary>
    public IReadOnlyList<Address> Seeds { get; }

    /// <summary>The timings.</summary>
    public FormationSettings Settings { get; }

    /// <summary>Each seed's last answer and when it arrived.</summary>
    public ImmutableDictionary<Address, (SeedAnswer Answer, DateTime At)> Answers { get; private init; } =
        ImmutableDictionary<Address, (SeedAnswer, DateTime)>.Empty;

    /// <summary>When each seed's last probe arrived.</summary>
    public ImmutableDictionary<Address, DateTime> ProbedAt { get; private init; } = ImmutableDictionary<Address, DateTime>.Empty;

    /// <summary>The seed this node names to form the cluster, null before it named any.</summary>
    public Address? Candidate { get; private init; }

    /// <summary>Since when this node has named <see cref="Candidate"/>.</summary>
    public DateTime CandidateSince { get; private init; }

    /// <summary>When an answer last named <see cref="Candidate"/> to another node.</summary>
    public DateTime? CandidateLastNamed { get; private init; }

    /// <summary>When an answer last showed a seed as a member of a cluster.</summary>
    public DateTime? ClusterSeenAt { get; private init; }

    /// <summary>When the first answer from a member of a cluster arrived.</summary>
    public DateTime? ClusterFirstSeenAt { get; private init; }

    /// <summary>The previous incarnation of this node that an answer last showed a member holding, null if none ever did.</summary>
    public UniqueAddress? PreviousIncarnation { get; private init; }

    /// <summary>When an answer first showed a member holding <see cref="PreviousIncarnation"/>.</summary>
    public DateTime PreviousIncarnationSince { get; private init; }

    /// <summary>When an answer last showed a member holding <see cref="PreviousIncarnation"/>.</summary>
    public DateTime PreviousIncarnationSeenAt { get; private init; }

    /// <summary>This node decided to form a cluster; until it is a member its answers say it is one.</summary>
    public bool Forming { get; private init; }

    /// <summary>A view with nothing heard yet.</summary>
    /// <param name="self">This node's address.</param>
    /// <param name="seeds">The seed list.</param>
    /// <param name="settings">The timings.</param>
    /// <param name="incarnation">This process's unique address (<see cref="Self"/> and its uid); null: it never waits for a previous one.</param>
    public static FormationView Start(Address self, IReadOnlyList<Address> seeds, FormationSettings settings, UniqueAddress? incarnation = null) =>
        new(self, seeds, settings, incarnation);

    /// <summary>A probe from <paramref name="from"/> arrived: a seed remembers it as alive, though not what it is a member of.</summary>
    public FormationView Probed(Address from, DateTime now) =>
        Seeds.Contains(from) && !from.Equals(Self) ? this with { ProbedAt = ProbedAt.SetItem(from, now) } : this;

    /// <summary>
    /// What this node answers a probe with, given the members it sees itself among (empty if none), and the view that
    /// remembers the vote it gave. Between deciding to form and becoming a member it answers as the one member of its
    /// cluster, so that the others join it.
    /// </summary>
    public (FormationView View, SeedAnswer Answer) Answer(IReadOnlyList<Address> ownMembers, DateTime now)
    {
        IReadOnlyList<Address> members = ownMembers.Count > 0 ? ownMembers : Forming ? [Self] : [];
        var (view, vote) = Vote(now, inCluster: members.Count > 0);
        if (vote is not null && !vote.Equals(Self)) view = view with { CandidateLastNamed = now };
        return (view, new SeedAnswer(members, vote));
    }

    /// <summary>An answer from <paramref name="from"/> arrived.</summary>
    public FormationView Answered(Address from, SeedAnswer answer, DateTime now)
    {
        if (from.Equals(Self)) return this;
        var view = this with
        {
            Answers = Answers.SetItem(from, (answer, now)),
            ClusterSeenAt = answer.Members.Count > 0 ? now : ClusterSeenAt,
            ClusterFirstSeenAt = ClusterFirstSeenAt ?? (answer.Members.Count > 0 ? now : null),
        };
        if (Incarnation is null || FormationRule.PreviousIncarnation(answer, Incarnation) is not { } previous) return view;
        return view with
        {
            PreviousIncarnation = previous,
            PreviousIncarnationSince = PreviousIncarnation is null ? now : PreviousIncarnationSince,
            PreviousIncarnationSeenAt = now,
        };
    }

    /// <summary>
    /// The previous incarnation this node waits for the members to remove before it joins: one that an answer showed
    /// within <c>answer-freshness</c>, so that every member that answers has gone a few probes without it, and only
    /// for <c>previous-incarnation-patience</c> in all.
    /// </summary>
    public UniqueAddress? HeldPrevious(DateTime now) =>
        PreviousIncarnation is { } previous && now - PreviousIncarnationSeenAt < Settings.AnswerFreshness &&
        now - PreviousIncarnationSince < Settings.PreviousIncarnationPatience
            ? previous
            : null;

    /// <summary>The other seeds' fresh answers, by address.</summary>
    public Dictionary<Address, SeedAnswer> FreshAnswers(DateTime now)
    {
        var oldest = now - Settings.AnswerFreshness;
        return Answers.Where(a => a.Value.At >= oldest).ToDictionary(a => a.Key, a => a.Value.Answer);
    }

    /// <summary>Whether <paramref name="seed"/> answered or probed within <c>answer-freshness</c>, or is this node.</summary>
    public bool IsAlive(Address seed, DateTime now)
    {
        var oldest = now - Settings.AnswerFreshness;
        return seed.Equals(Self) || (Answers.TryGetValue(seed, out var a) && a.At >= oldest) || (ProbedAt.TryGetValue(seed, out var p) && p >= oldest);
    }

    /// <summary>
    /// Whether a member holding a previous incarnation of this node would have been heard by now: every other seed has
    /// answered since the first member's answer arrived, or a probe interval has passed since then for the answers of
    /// seeds that may be down; always, for a view that does not know its incarnation.
    /// </summary>
    public bool AnswersSettled(DateTime now) =>
        Incarnation is null ||
        (ClusterFirstSeenAt is { } first &&
         (now - first >= Settings.ProbeInterval ||
          Seeds.Where(s => !s.Equals(Self)).All(s => Answers.TryGetValue(s, out var a) && a.At >= first)));

    /// <summary>Decides for a node that is not a member; the returned view holds its vote and notes a decision to form.</summary>
    public (FormationView View, FormationDecision Decision) Decide(DateTime now)
    {
        // The others were told this node is a member: it keeps joining itself until it is one.
        if (Forming) return (this, new FormNew("this node decided to form the cluster and is not a member yet"));
        var (view, vote) = Vote(now, inCluster: false);
        var decision = FormationRule.Decide(Self, Seeds, FreshAnswers(now), vote, HeldPrevious(now), AnswersSettled(now));
        return (decision is FormNew ? view with { Forming = true } : view, decision);
    }

    /// <summary>This node is a member now (or left): forget the answers, which only a non-member decides on.</summary>
    public FormationView Forget() => this with { Answers = Answers.Clear() };

    private (FormationView View, Address? Vote) Vote(DateTime now, bool inCluster)
    {
        // A cluster runs: this node joins it and names no one, so no second cluster can gather its vote. Remembered for
        // vote-pause rather than answer-freshness: the candidate may have formed on this node's vote.
        if (inCluster || (ClusterSeenAt is { } seen && now - seen < Settings.VotePause)) return (this, null);
        var lowest = Seeds.Where(s => IsAlive(s, now)).DefaultIfEmpty(Self).Min(Member.AddressOrdering)!;
        // Naming itself binds no one else: only this node counts that vote, so it moves to a lower seed at once.
        if (Candidate is { } candidate && !candidate.Equals(Self))
        {
            if (IsAlive(candidate, now) && now - CandidateSince < Settings.VoteTerm) return (this, candidate);
            if (candidate.Equals(lowest)) return (this with { CandidateSince = now }, candidate);
            // Given up on: no one is named until the votes it holds have expired and, had it formed on them, its
            // answer as a member has had time to arrive.
            if (CandidateLastNamed is { } named && now - named < Settings.VotePause) return (this, null);
        }
        if (lowest.Equals(Candidate)) return (this, lowest);
        return (this with { Candidate = lowest, CandidateSince = now, CandidateLastNamed = null }, lowest);
    }
}
