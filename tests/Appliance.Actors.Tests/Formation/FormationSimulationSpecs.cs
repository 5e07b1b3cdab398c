using System.Globalization;
using Akka.Actor;
using Appliance.Actors.Formation;
using CsCheck;

namespace Appliance.Actors.Tests.Formation;

/// <summary>
/// Several <see cref="FormationView"/>s over a simulated network: seeds start at random times or never, every message
/// takes a random time, a node's own join to itself takes a moment, and some links drop every message in one direction
/// or both, for the first seconds (as a TLS handshake that timed out at start-up left them) or for good. No run may end
/// with two clusters, and every run in which a majority of the seeds starts and every link comes back must end with
/// all of them in one.
/// </summary>
public sealed class FormationSimulationSpecs
{
    private static readonly FormationSettings Settings = FormationSettings.Default;
    private static readonly DateTime Epoch = new(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    // The negative control: votes that follow the lowest seed at once, with neither term nor pause.
    private static readonly FormationSettings Unsticky = Settings with { VoteTerm = TimeSpan.Zero, VotePause = TimeSpan.Zero };

    /// <summary>
    /// One cold start: each seed's start time in ms (null: it never starts), the slowest message, the longest join to
    /// itself, the links that drop messages (from, to, until in ms; null: for good), and the random seed of the delays.
    /// </summary>
    public sealed record ColdStart(int?[] StartMs, int MaxDelayMs, int MaxSelfJoinMs, (int From, int To, int? UntilMs)[] DeadLinks, int RandomSeed)
    {
        public bool LinksComeBack => DeadLinks.All(l => l.UntilMs is not null);

        public override string ToString() =>
            $"starts [{string.Join(", ", StartMs.Select(s => s?.ToString(CultureInfo.InvariantCulture) ?? "never"))}] ms, messages ≤ {MaxDelayMs} ms, self-join ≤ {MaxSelfJoinMs} ms, " +
            $"dead links [{string.Join(", ", DeadLinks.Select(l => $"n{l.From + 1}->n{l.To + 1} until {l.UntilMs?.ToString(CultureInfo.InvariantCulture) ?? "never"}"))}], random {RandomSeed}";
    }

    private static readonly Gen<ColdStart> ColdStarts =
        from seeds in Gen.Int[3, 5]
        from starts in Gen.Int[0, 6000].Nullable(0.2).Array[seeds]
        from maxDelay in Gen.Int[0, 3].Select(i => new[] { 2, 50, 400, 1500 }[i])
        from maxSelfJoin in Gen.Int[0, 2].Select(i => new[] { 0, 20, 200 }[i])
        from links in DeadLinks(seeds)
        from random in Gen.Int
        select new ColdStart(starts, maxDelay, maxSelfJoin, links, random);

    // Each directed link is dead with probability 0.3: until a random time within 12 s, or for good.
    private static Gen<(int From, int To, int? UntilMs)[]> DeadLinks(int seeds) =>
        from dead in Gen.Int[0, 99].Array[seeds * seeds]
        from until in Gen.Int[0, 12_000].Array[seeds * seeds]
        select Enumerable.Range(0, seeds * seeds)
            .Where(i => i / seeds != i % seeds && dead[i] < 30)
            .Select(i => (i / seeds, i % seeds, dead[i] < 10 ? (int?)null : until[i]))
            .ToArray();

    [Fact]
    public void A_cold_start_never_forms_two_clusters_and_a_started_majority_always_forms_one()
    {
        ColdStarts.Sample(start =>
        {
            var run = Simulate(start, Settings);
            Assert.True(run.Formers.Count <= 1, $"{start}: {string.Join(" and ", run.Formers)} each formed a cluster");
            var started = start.StartMs.Count(s => s is not null);
            if (started > start.StartMs.Length / 2 && start.LinksComeBack)
                Assert.True(run.Clusters == 1 && run.NonMembers == 0,
                    $"{start}: {run.Clusters} cluster(s), {run.NonMembers} started node(s) not a member after {RunMs / 1000} s");
        }, iter: 3000);
    }

    [Fact]
    public void Without_sticky_votes_some_random_cold_starts_form_two_clusters()
    {
        // The random cases can fail too: with vote-term and vote-pause at 0 about 1 % of them form two clusters (33 of
        // 3,000 when measured), so 3,000 cases all passing by chance has odds of about e^-30.
        var islands = 0;
        ColdStarts.Sample(start =>
        {
            if (Simulate(start, Unsticky).Formers.Count > 1) Interlocked.Increment(ref islands);
        }, iter: 3000);
        Assert.True(islands > 0, "no random cold start formed two clusters without sticky votes: the simulation cannot tell");
    }

    [Fact]
    public void Every_seed_starting_together_forms_on_the_first_round_of_answers()
    {
        var run = Simulate(new ColdStart([0, 0, 0], 2, 0, [], 1), Settings);
        Assert.Single(run.Formers);
        Assert.True(run.FormedAtMs < Settings.ProbeInterval.TotalMilliseconds, $"formed at {run.FormedAtMs} ms: not on the first round of answers");
    }

    [Fact]
    public void Two_of_three_seeds_form_on_the_first_round_of_answers_without_the_third()
    {
        var run = Simulate(new ColdStart([null, 0, 0], 2, 0, [], 1), Settings);
        Assert.Equal(["10.0.0.2"], run.Formers.Select(f => f.Split(' ')[0]));
        Assert.True(run.FormedAtMs < Settings.ProbeInterval.TotalMilliseconds, $"formed at {run.FormedAtMs} ms: not on the first round of answers");
    }

    [Fact]
    public void Without_sticky_votes_two_seeds_that_cannot_hear_each_other_both_form()
    {
        // The simulation can fail, in the case a CI run met with TLS (n1 and n2 each formed a cluster, each with n3's
        // answer): n1 and n2 cannot hear each other; n2 and n3 start together and n3 names n2, which forms; n1 starts
        // 300 ms later, and n3, before it has seen n2's answer as a member, names n1, the lowest it knows alive. With
        // vote-term and vote-pause at 0, votes follow the lowest seed at once, and n1 forms a second cluster. With the
        // reference timings n3 keeps naming n2, and n1 joins n2's cluster through n3.
        (int, int, int?)[] n1AndN2Apart = [(0, 1, null), (1, 0, null)];
        var start = new ColdStart([300, 0, 0], 2, 0, n1AndN2Apart, 1);
        Assert.Equal(2, Simulate(start, Unsticky).Formers.Count);
        var run = Simulate(start, Settings);
        Assert.Equal(["10.0.0.2"], run.Formers.Select(f => f.Split(' ')[0]));
        Assert.Equal((1, 0), (run.Clusters, run.NonMembers));
    }

    private const int RunMs = 60_000;

    private sealed record Outcome(IReadOnlyList<string> Formers, int Clusters, int NonMembers, double FormedAtMs);

    private sealed class Node(Address address, FormationView view)
    {
        public Address Address { get; } = address;
        public FormationView View { get; set; } = view;
        public bool Started { get; set; }
        public Address? Cluster { get; set; }
        public int? LastJoinMs { get; set; }
    }

    private static Outcome Simulate(ColdStart start, FormationSettings settings)
    {
        var random = new Random(start.RandomSeed);
        var seeds = Enumerable.Range(1, start.StartMs.Length).Select(i => new Address("akka.tcp", "appliance", $"10.0.0.{i}", 4053)).ToList();
        var nodes = seeds.ToDictionary(a => a, a => new Node(a, FormationView.Start(a, seeds, settings)));
        var index = seeds.Select((a, i) => (a, i)).ToDictionary(x => x.a, x => x.i);
        var events = new PriorityQueue<Action, (int At, long Order)>();
        long order = 0;
        var now = 0;
        void At(int ms, Action action) => events.Enqueue(action, (ms, order++));
        bool Dead(Address from, Address to) =>
            start.DeadLinks.Any(l => l.From == index[from] && l.To == index[to] && (l.UntilMs is not { } until || now < until));
        void Send(Address from, Address to, Action<Node> onArrival)
        {
            if (Dead(from, to)) return;
            At(now + random.Next(start.MaxDelayMs + 1), () =>
            {
                if (nodes[to].Started) onArrival(nodes[to]);   // nothing listens on a node that has not started
            });
        }
        DateTime Clock() => Epoch.AddMilliseconds(now);
        IReadOnlyList<Address> Members(Node n) => n.Cluster is null ? [] : [.. nodes.Values.Where(m => Equals(m.Cluster, n.Cluster)).Select(m => m.Address)];
        var formers = new List<string>();
        double formedAt = double.NaN;

        void Tick(Node n)
        {
            At(now + (int)settings.ProbeInterval.TotalMilliseconds, () => Tick(n));
            var own = Members(n);
            if (own.Count > 1) { n.View = n.View.Forget(); return; }
            foreach (var other in seeds.Where(s => !s.Equals(n.Address)))
                Send(n.Address, other, to =>
                {
                    to.View = to.View.Probed(n.Address, Clock());
                    (to.View, var answer) = to.View.Answer(Members(to), Clock());
                    Send(to.Address, n.Address, back =>
                    {
                        back.View = back.View.Answered(to.Address, answer, Clock());
                        if (back.Cluster is null) Decide(back);   // as FormationActor: an answer is decided on at once
                    });
                });
            if (own.Count == 1) return;
            Decide(n);
        }

        void Decide(Node n)
        {
            if (n.LastJoinMs is { } last && now - last < settings.JoinRetry.TotalMilliseconds) return;
            (n.View, var decision) = n.View.Decide(Clock());
            switch (decision)
            {
                case FormNew:
                    if (!formers.Any(f => f.StartsWith(n.Address.Host + " ", StringComparison.Ordinal))) formers.Add($"{n.Address.Host} at {now} ms");   // a repeated join to itself is not a second cluster
                    if (double.IsNaN(formedAt)) formedAt = now;
                    n.LastJoinMs = now;
                    At(now + random.Next(start.MaxSelfJoinMs + 1), () => n.Cluster ??= n.Address);
                    break;
                case JoinExisting join:
                    n.LastJoinMs = now;
                    Send(n.Address, join.Via, via =>
                    {
                        if (via.Cluster is { } cluster) Send(via.Address, n.Address, joiner => joiner.Cluster ??= cluster);
                    });
                    break;
            }
        }

        foreach (var (address, startMs) in seeds.Zip(start.StartMs))
            if (startMs is { } ms)
                At(ms, () =>
                {
                    var n = nodes[address];
                    n.Started = true;
                    n.View = FormationView.Start(address, seeds, settings);
                    Tick(n);
                });
        while (events.TryDequeue(out var action, out var key) && key.At <= RunMs)
        {
            now = key.At;
            action();
        }

        var started = nodes.Values.Where(n => n.Started).ToList();
        return new Outcome(formers, started.Select(n => n.Cluster).OfType<Address>().Distinct().Count(),
            started.Count(n => n.Cluster is null), formedAt);
    }
}
