using System.Collections.Immutable;
using Akka.Actor;
using Akka.Cluster;

namespace Appliance.Actors.Formation;

/// <summary>
/// What one node that is not yet a member knows while it forms or joins the cluster: the seeds' answers, the seeds
/// that probed it, since when the answers have been what they are, and whether it has decided to form. Pure: every
/// event comes with the time, and <see cref="Decide"/> applies <see cref="FormationRule"/>. <see cref="FormationActor"/>
/// holds one and runs its effects; the property tests run several over a simulated network.
/// </summary>
public sealed record FormationView
{
    private FormationView(Address self, IReadOnlyList<Address> seeds, FormationSettings settings, DateTime now)
    {
        Self = self;
        Seeds = seeds;
        Settings = settings;
        StableSince = now;
    }

    /// <summary>This node's address.</summary>
    public Address Self { get; }

    /// <summary>The seed list, the same on every node.</summary>
    public IReadOnlyList<Address> Seeds { get; }

    /// <summary>The timings.</summary>
    public FormationSettings Settings { get; }

    /// <summary>Each seed's last answer (its cluster's members, empty if none) and when it arrived.</summary>
    public ImmutableDictionary<Address, (IReadOnlyList<Address> Members, DateTime At)> Answers { get; private init; } =
        ImmutableDictionary<Address, (IReadOnlyList<Address>, DateTime)>.Empty;

    /// <summary>When each seed's last probe arrived.</summary>
    public ImmutableDictionary<Address, DateTime> ProbedAt { get; private init; } = ImmutableDictionary<Address, DateTime>.Empty;

    /// <summary>Since when the set of fresh answers has been what it is now.</summary>
    public DateTime StableSince { get; private init; }

    /// <summary>This node decided to form a cluster; until it is a member its answers say it is one.</summary>
    public bool Forming { get; private init; }

    private string Answering { get; init; } = "";

    /// <summary>A view with nothing heard yet.</summary>
    public static FormationView Start(Address self, IReadOnlyList<Address> seeds, FormationSettings settings, DateTime now) =>
        new(self, seeds, settings, now);

    /// <summary>A probe from <paramref name="from"/> arrived: a seed remembers it as alive, though not what it is a member of.</summary>
    public FormationView Probed(Address from, DateTime now) =>
        Seeds.Contains(from) && !from.Equals(Self) ? this with { ProbedAt = ProbedAt.SetItem(from, now) } : this;

    /// <summary>
    /// What this node answers a probe with, given the members it sees itself among (empty if none). Between deciding to
    /// form and becoming a member it answers as the one member of its cluster: another node that took it for a
    /// non-member could form a second cluster.
    /// </summary>
    public IReadOnlyList<Address> AnswerWith(IReadOnlyList<Address> ownMembers) =>
        ownMembers.Count > 0 ? ownMembers : Forming ? [Self] : [];

    /// <summary>An answer from <paramref name="from"/> arrived.</summary>
    public FormationView Answered(Address from, IReadOnlyList<Address> members, DateTime now) =>
        this with { Answers = Answers.SetItem(from, (members, now)) };

    /// <summary>The fresh answers by address, this node's own (none) included.</summary>
    public Dictionary<Address, IReadOnlyList<Address>> FreshAnswers(DateTime now)
    {
        var oldest = now - Settings.AnswerFreshness;
        var fresh = Answers.Where(a => a.Value.At >= oldest).ToDictionary(a => a.Key, a => a.Value.Members);
        fresh[Self] = [];
        return fresh;
    }

    /// <summary>
    /// The seeds whose probe arrived recently. A probe counts for longer than an answer (<c>answer-freshness</c> plus
    /// <c>stable-margin</c>): a node that answered a lower seed must still hold that seed as alive when that seed
    /// decides on the answer, which can come up to <c>answer-freshness</c> plus the answer's travel time later.
    /// </summary>
    public IReadOnlyCollection<Address> RecentProbers(DateTime now)
    {
        var oldest = now - Settings.AnswerFreshness - Settings.StableMargin;
        return [.. ProbedAt.Where(p => p.Value >= oldest).Select(p => p.Key)];
    }

    /// <summary>Decides for a node that is not a member; the returned view has moved its stability clock and notes a decision to form.</summary>
    public (FormationView View, FormationDecision Decision) Decide(DateTime now)
    {
        var fresh = FreshAnswers(now);
        var answering = string.Join(",", fresh.OrderBy(a => a.Key, Member.AddressOrdering).Select(a => $"{a.Key}={a.Value.Count}"));
        var view = answering == Answering ? this : this with { Answering = answering, StableSince = now };
        var decision = FormationRule.Decide(Self, Seeds, fresh, view.RecentProbers(now), now - view.StableSince, Settings.StableMargin);
        return (decision is FormNew ? view with { Forming = true } : view, decision);
    }

    /// <summary>This node is a member now (or left): forget the answers, which only a non-member decides on.</summary>
    public FormationView Forget() => this with { Answers = Answers.Clear(), Answering = "" };
}
