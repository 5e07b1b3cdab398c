using System.Collections.Immutable;
using Appliance.Nodes.State;

namespace Appliance.Nodes.Tests.State;

/// <summary>
/// Drives <see cref="ClusterRules"/> the way the coordinator will: it keeps membership, reports and the state, and
/// after every event evaluates until the rules rest, answering fenced-position probes from the peers' simulated WAL.
/// It plays the part of Flynn's and Manatee's simulators for ported scenarios, with every peer observed centrally.
/// </summary>
internal sealed class ScenarioCluster
{
    private readonly List<PeerId> _members = [];
    private readonly Dictionary<string, Lsn> _wal = [];
    private readonly Dictionary<string, TimelineHistory> _history = [];   // peers not on timeline 1 with no past
    private readonly Dictionary<string, DateTimeOffset> _downSince = [];   // peers whose PostgreSQL is down, and since when
    private readonly HashSet<string> _readyToRejoin = [];
    private readonly HashSet<string> _withData = [];
    private readonly HashSet<string> _unreported = [];
    private readonly Dictionary<string, PeerTags> _tags = [];
    private readonly Dictionary<string, StandbySource?> _ownStandbyOf = [];
    private readonly Dictionary<string, LastSeen> _left = [];   // what the coordinator last knew of peers that left

    public ScenarioCluster(ClusterMode mode = ClusterMode.Normal, RejoinPolicy rejoin = RejoinPolicy.Manual)
    {
        Mode = mode;
        Rejoin = rejoin;
    }

    public ClusterMode Mode { get; set; }

    public RejoinPolicy Rejoin { get; set; }

    /// <summary>The configured source of a standby cluster (<c>--standby-of</c>); null for a normal one.</summary>
    public StandbySource? StandbyOf { get; set; }

    public ClusterState? State { get; private set; }

    /// <summary>The coordinator's host as the coordinator would describe it; null (the default) turns the relief off.</summary>
    public CoordinatorHost? Coordinator { get; set; }

    /// <summary>Every transition written so far, in order.</summary>
    public List<Transition> History { get; } = [];

    /// <summary>How the last evaluation came to rest: no change, or a refusal.</summary>
    public Decision? LastRest { get; private set; }

    public static DateTimeOffset Now { get; } = new(2026, 11, 26, 6, 0, 0, TimeSpan.Zero);

    /// <summary>The coordinator's clock in this scenario (<see cref="ClusterObservation.Now"/>); starts at <see cref="Now"/>.</summary>
    public DateTimeOffset Clock { get; set; } = Now;

    /// <summary>The hold-down before a forced failover (<see cref="ClusterObservation.ForcedFailoverHoldDown"/>).</summary>
    public TimeSpan ForcedFailoverHoldDown { get; set; }

    /// <summary>Gives a peer tags (its reports carry them from now on).</summary>
    public ScenarioCluster Tag(string id, PeerTags tags, bool settle = true)
    {
        _tags[id] = tags;
        return settle ? Settle() : this;
    }

    /// <summary>Starts a peer with its own <c>--standby-of</c> (its reports carry it), instead of <see cref="StandbyOf"/>.</summary>
    public ScenarioCluster ConfigureStandbyOf(string id, StandbySource? source, bool settle = true)
    {
        _ownStandbyOf[id] = source;
        return settle ? Settle() : this;
    }

    public static PeerId Peer(string id) => new(id, $"10.0.0.{id.Last()}", 5432);

    public string Describe() => State?.ToShortString() ?? "no state";

    public IReadOnlyList<string> MemberIds => _members.Select(m => m.Id).ToList();

    public RoleAssignment RoleOf(string id) => State!.RoleOf(id);

    /// <summary>A peer joins the cluster (the coordinator sees its member-up event and first report).</summary>
    public ScenarioCluster Join(string id, bool settle = true)
    {
        if (_members.Any(m => m.Id == id)) throw new InvalidOperationException($"{id} is already a member");
        _members.Add(Peer(id));
        _left.Remove(id);
        return settle ? Settle() : this;
    }

    public ScenarioCluster Leave(string id, bool settle = true)
    {
        if (_members.RemoveAll(m => m.Id == id) != 1) throw new InvalidOperationException($"{id} is not a member");
        _left[id] = new LastSeen(new PeerReport(!_downSince.ContainsKey(id), WalOf(id), History: HistoryOf(id), Tags: _tags.GetValueOrDefault(id)), Clock);
        return settle ? Settle() : this;
    }

    public ScenarioCluster SetWal(string id, string lsn)
    {
        _wal[id] = Lsn.Parse(lsn);
        return this;
    }

    public Lsn WalOf(string id) => _wal.GetValueOrDefault(id, Lsn.Zero);

    /// <summary>The peer reports (and answers probes with) <paramref name="history"/> as the history of its WAL.</summary>
    public ScenarioCluster SetHistory(string id, TimelineHistory history)
    {
        _history[id] = history;
        return this;
    }

    public TimelineHistory HistoryOf(string id) => _history.GetValueOrDefault(id, TimelineHistory.First);

    /// <summary>The peer reports its PostgreSQL down, and has done so for <paramref name="for"/> (none: it just went down).</summary>
    public ScenarioCluster PostgresDown(string id, TimeSpan? @for = null)
    {
        _downSince[id] = Now - (@for ?? TimeSpan.Zero);
        return this;
    }

    /// <summary>How long a member sync may report PostgreSQL down before it is replaced; the production default.</summary>
    public TimeSpan? ReplaceDownSyncAfter { get; set; } = TimeSpan.FromSeconds(30);

    public ScenarioCluster PostgresUp(string id, bool settle = true)
    {
        _downSince.Remove(id);
        return settle ? Settle() : this;
    }

    public ScenarioCluster ReadyToRejoin(string id, bool settle = true)
    {
        _readyToRejoin.Add(id);
        return settle ? Settle() : this;
    }

    public ScenarioCluster HasData(string id) { _withData.Add(id); return this; }

    public ScenarioCluster Unreported(string id) { _unreported.Add(id); return this; }

    public ScenarioCluster Reported(string id, bool settle = true)
    {
        _unreported.Remove(id);
        return settle ? Settle() : this;
    }

    /// <summary>Replaces the state outright, as the simulators' <c>setClusterState</c> and <c>bootstrap</c> do.</summary>
    public ScenarioCluster SetState(ClusterState state, bool settle = true)
    {
        State = state.EnsureValid();
        return settle ? Settle() : this;
    }

    /// <summary>Evaluates until the rules rest. Returns this for chaining; see <see cref="LastRest"/>.</summary>
    public ScenarioCluster Settle()
    {
        for (var lap = 0; lap < 50; lap++)
        {
            var decision = Evaluate(null);
            if (decision is Transition t)
            {
                Apply(t);
                continue;
            }
            LastRest = decision;
            return this;
        }
        throw new InvalidOperationException($"The rules did not come to rest after 50 writes: {string.Join(" | ", History.TakeLast(5).Select(h => h.Next.ToShortString()))}");
    }

    /// <summary>Submits an operator command; an accepted one is written, then the cluster settles.</summary>
    public Decision Command(OperatorCommand command)
    {
        var decision = Evaluate(command);
        if (decision is Transition t)
        {
            Apply(t);
            Settle();
        }
        return decision;
    }

    /// <summary>One evaluation as the coordinator runs it, fenced-position probes included.</summary>
    public Decision Evaluate(OperatorCommand? command) =>
        ProbingEvaluation.Run(State, (fenced, failed) => Observe(command, fenced, failed), probe =>
        {
            Probes.Add(probe);
            // A probe of a peer whose PostgreSQL does not answer fails: the coordinator learns it is down.
            var answers = !_downSince.ContainsKey(probe.PeerId) && _members.Any(m => m.Id == probe.PeerId);
            return answers ? (WalOf(probe.PeerId), HistoryOf(probe.PeerId), null) : null;
        });

    /// <summary>Every fence-and-read the rules asked for, in order.</summary>
    public List<PositionProbe> Probes { get; } = [];

    private ClusterObservation Observe(OperatorCommand? command, ImmutableDictionary<string, FencedPosition> fenced, IReadOnlySet<string> probedDown) => new()
    {
        Members = [.. _members],
        Reports = _members
            .Where(m => !_unreported.Contains(m.Id))
            .ToImmutableDictionary(m => m.Id, m => new PeerReport(
                PostgresUp: !_downSince.ContainsKey(m.Id) && !probedDown.Contains(m.Id),
                Wal: WalOf(m.Id),
                HasExistingData: _withData.Contains(m.Id),
                ReadyToRejoin: _readyToRejoin.Contains(m.Id),
                History: _downSince.ContainsKey(m.Id) ? null : HistoryOf(m.Id),
                // A scenario's "ready" means rewound onto the state it is given in.
                RewoundOnto: _readyToRejoin.Contains(m.Id) && State is { } s ? new RejoinTarget(s.Primary.Id, s.Generation, HistoryOf(s.Primary.Id).Timeline) : null,
                Tags: _tags.GetValueOrDefault(m.Id),
                StandbyOf: _ownStandbyOf.TryGetValue(m.Id, out var own) ? own : StandbyOf)),
        Absent = _left.ToImmutableDictionary(),
        ForcedFailoverHoldDown = ForcedFailoverHoldDown,
        FencedPositions = fenced,
        PostgresDownSince = _members
            .Where(m => _downSince.ContainsKey(m.Id) && !_unreported.Contains(m.Id))
            .ToImmutableDictionary(m => m.Id, m => _downSince[m.Id]),
        ReplaceDownSyncAfter = ReplaceDownSyncAfter,
        Mode = Mode,
        StandbyOf = StandbyOf,
        Rejoin = Rejoin,
        Command = command,
        Now = Clock,
        Coordinator = Coordinator,
    };

    private void Apply(Transition t)
    {
        State = t.Next;
        History.Add(t);
        _readyToRejoin.RemoveWhere(id => !State.IsDeposed(id));
    }

    /// <summary>Builds a state from ids, like the simulators' <c>gN{P,S,A[],D[]}</c> notation.</summary>
    public static ClusterState StateOf(long generation, string primary, string? sync, string[]? asyncs = null,
        string[]? deposed = null, string initWal = "0/0", bool singleton = false, string? frozen = null, long version = 1) => new()
    {
        Version = version,
        Generation = generation,
        Primary = Peer(primary),
        Sync = sync is null ? null : Peer(sync),
        Async = [.. (asyncs ?? []).Select(Peer)],
        Deposed = [.. (deposed ?? []).Select(Peer)],
        InitWal = Lsn.Parse(initWal),
        Singleton = singleton,
        Freeze = frozen is null ? null : new FreezeInfo(frozen, Now),
    };
}
