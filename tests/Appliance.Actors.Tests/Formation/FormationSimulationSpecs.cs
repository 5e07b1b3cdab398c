using Akka.Actor;
using Appliance.Actors.Formation;
using CsCheck;

namespace Appliance.Actors.Tests.Formation;

/// <summary>
/// Several <see cref="FormationView"/>s over a simulated network: seeds start at random times or never, every message
/// takes a random time shorter than the stable margin, and a node's own join to itself takes a moment. No run may end
/// with two clusters, and every run in which a majority of the seeds starts must end with all of them in one.
/// </summary>
public sealed class FormationSimulationSpecs
{
    private static readonly FormationSettings Settings = FormationSettings.Default;
    private static readonly DateTime Epoch = new(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    /// <summary>One cold start: each seed's start time in ms (null: it never starts), the slowest message, and the random seed of the delays.</summary>
    public sealed record ColdStart(int?[] StartMs, int MaxDelayMs, int MaxSelfJoinMs, int RandomSeed)
    {
        public override string ToString() =>
            $"starts [{string.Join(", ", StartMs.Select(s => s?.ToString() ?? "never"))}] ms, messages ≤ {MaxDelayMs} ms, self-join ≤ {MaxSelfJoinMs} ms, random {RandomSeed}";
    }

    private static readonly Gen<ColdStart> ColdStarts =
        from seeds in Gen.Int[3, 5]
        from starts in Gen.Int[0, 6000].Nullable(0.2).Array[seeds]
        from maxDelay in Gen.Int[0, 3].Select(i => new[] { 2, 50, 400, 1500 }[i])
        from maxSelfJoin in Gen.Int[0, 2].Select(i => new[] { 0, 20, 200 }[i])
        from random in Gen.Int
        select new ColdStart(starts, maxDelay, maxSelfJoin, random);

    [Fact]
    public void A_cold_start_never_forms_two_clusters_and_a_started_majority_always_forms_one()
    {
        ColdStarts.Sample(start =>
        {
            var run = Simulate(start, countProbes: true, answerWhileForming: true);
            Assert.True(run.Formers.Count <= 1, $"{start}: {string.Join(" and ", run.Formers)} each formed a cluster");
            var started = start.StartMs.Count(s => s is not null);
            if (started > start.StartMs.Length / 2)
                Assert.True(run.Clusters == 1 && run.NonMembers == 0,
                    $"{start}: {run.Clusters} cluster(s), {run.NonMembers} started node(s) not a member after {RunMs / 1000} s");
        }, iter: 3000);
    }

    [Fact]
    public void Every_seed_starting_together_forms_on_the_first_round_of_answers()
    {
        var run = Simulate(new ColdStart([0, 0, 0], 2, 0, 1), countProbes: true, answerWhileForming: true);
        Assert.Single(run.Formers);
        Assert.True(run.FormedAtMs < Settings.ProbeInterval.TotalMilliseconds, $"formed at {run.FormedAtMs} ms: not on the first round of answers");
    }

    [Theory]
    [InlineData(false, true, 2400)]
    [InlineData(true, false, 2500)]
    public void Without_either_safeguard_forming_at_once_can_form_two_clusters(bool countProbes, bool answerWhileForming, int firstSeedStartsAtMs)
    {
        // The simulation can fail. n2 and n3 start together and n2 forms once their view has held for the margin
        // (2.5 s); n1 starts about then and, seeing every seed answer as a non-member, forms at once. Counting n1's
        // probe keeps n2 from forming (the first case), and n2's answer as a member while it joins itself keeps n1 from
        // forming (the second): take either away, and some timings of the messages end with two clusters.
        var starts = Enumerable.Range(0, 100).Select(random => new ColdStart([firstSeedStartsAtMs, 0, 0], 2, 200, random)).ToList();
        Assert.Contains(starts, start => Simulate(start, countProbes, answerWhileForming).Formers.Count > 1);
        Assert.All(starts, start => Assert.Single(Simulate(start, countProbes: true, answerWhileForming: true).Formers));
    }

    private const int RunMs = 40_000;

    private sealed record Outcome(IReadOnlyList<string> Formers, int Clusters, int NonMembers, double FormedAtMs);

    private sealed class Node(Address address, FormationView view)
    {
        public Address Address { get; } = address;
        public FormationView View { get; set; } = view;
        public bool Started { get; set; }
        public Address? Cluster { get; set; }
        public int? LastJoinMs { get; set; }
    }

    private static Outcome Simulate(ColdStart start, bool countProbes, bool answerWhileForming)
    {
        var random = new Random(start.RandomSeed);
        var seeds = Enumerable.Range(1, start.StartMs.Length).Select(i => new Address("akka.tcp", "appliance", $"10.0.0.{i}", 4053)).ToList();
        var nodes = seeds.ToDictionary(a => a, a => new Node(a, FormationView.Start(a, seeds, Settings, Epoch)));
        var events = new PriorityQueue<Action, (int At, long Order)>();
        long order = 0;
        var now = 0;
        void At(int ms, Action action) => events.Enqueue(action, (ms, order++));
        void Send(Address to, Action<Node> onArrival) => At(now + random.Next(start.MaxDelayMs + 1), () =>
        {
            if (nodes[to].Started) onArrival(nodes[to]);   // nothing listens on a node that has not started
        });
        DateTime Clock() => Epoch.AddMilliseconds(now);
        IReadOnlyList<Address> Members(Node n) => n.Cluster is null ? [] : [.. nodes.Values.Where(m => Equals(m.Cluster, n.Cluster)).Select(m => m.Address)];
        var formers = new List<string>();
        double formedAt = double.NaN;

        void Tick(Node n)
        {
            At(now + (int)Settings.ProbeInterval.TotalMilliseconds, () => Tick(n));
            var own = Members(n);
            if (own.Count > 1) { n.View = n.View.Forget(); return; }
            foreach (var other in seeds.Where(s => !s.Equals(n.Address)))
                Send(other, to =>
                {
                    if (countProbes) to.View = to.View.Probed(n.Address, Clock());
                    var answer = answerWhileForming ? to.View.AnswerWith(Members(to)) : Members(to);
                    Send(n.Address, back =>
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
            if (n.LastJoinMs is { } last && now - last < Settings.JoinRetry.TotalMilliseconds) return;
            (n.View, var decision) = n.View.Decide(Clock());
            switch (decision)
            {
                case FormNew:
                    formers.Add($"{n.Address.Host} at {now} ms");
                    if (double.IsNaN(formedAt)) formedAt = now;
                    n.LastJoinMs = now;
                    At(now + random.Next(start.MaxSelfJoinMs + 1), () => n.Cluster ??= n.Address);
                    break;
                case JoinExisting join:
                    n.LastJoinMs = now;
                    Send(join.Via, via =>
                    {
                        if (via.Cluster is { } cluster) Send(n.Address, joiner => joiner.Cluster ??= cluster);
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
                    n.View = FormationView.Start(address, seeds, Settings, Clock());
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
