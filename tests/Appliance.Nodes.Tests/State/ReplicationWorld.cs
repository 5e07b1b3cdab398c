using System.Collections.Immutable;
using Appliance.Nodes.State;

namespace Appliance.Nodes.Tests.State;

/// <summary>One step of a random run against <see cref="ReplicationWorld"/>.</summary>
internal enum StepKind
{
    Write, WriteToPrimary, Replicate, ReplicateAll, Deliver, DeliverAll, Coordinate, Crash, Restart, CutFromCoordinator, Isolate, Heal,
    PostgresCrash, PostgresStart, Freeze, Unfreeze, Switchover, Rebuild, Reap, RewindDeposed, LeaveSingleton, RewindStandby,
    Maintenance, ForcedFailover, CutPrimaryAndSync, RemoveOldWal, CloneStalledStandby, SourceWrite, PromoteCluster, SourceFailover,
}

/// <summary>A step and the node it applies to (ignored by steps that need none).</summary>
internal sealed record Step(StepKind Kind, int Node, int Arg = 0)
{
    public override string ToString() => $"{Kind}(n{Node}{(Arg != 0 ? $",{Arg}" : "")})";
}

/// <summary>
/// A model of the world the rules run in, to check data safety: nodes with WAL (a list of write ids), synchronous
/// replication that acknowledges a commit only once the primary's named sync holds it, timelines as PostgreSQL keeps
/// them (a promotion starts a new one; a standby streams only from an upstream whose history holds its position, and
/// must be rewound otherwise), nodes that act on the newest
/// state they happen to have received (so views lag), crashes, PostgreSQL failures, partitions (one of them cutting a
/// node off from the coordinator only, so that an old primary can go on streaming to its sync), fences, rewinds and
/// operator commands, WAL removal (a standby whose upstream removed the WAL it needs cannot stream, and its role clones it
/// afresh by <see cref="StandbyStall"/>). The coordinator evaluates <see cref="ClusterRules"/> exactly as production will, probes
/// included. After every step, every acknowledged write must be in the WAL of the state's primary.
/// </summary>
internal sealed class ReplicationWorld
{
    private const int LsnBytesPerWrite = 0x10;

    private readonly List<SimNode> _nodes;
    private readonly List<string> _joinOrder = [];
    private readonly HashSet<int> _acked = [];
    private readonly Dictionary<int, string> _pending = [];   // write id -> primary that waits for its ack
    private readonly HashSet<int> _timelines = [1];           // every timeline number ever started, here or before a restore
    private readonly List<(Step Step, ClusterState? State, int Acked)> _trace = [];
    private (string? Primary, ImmutableList<int>? Log, int Acked) _lastChecked;
    private int _nextWrite = 1;

    public ReplicationWorld(int nodes, ClusterMode mode, RejoinPolicy rejoin)
    {
        Mode = mode;
        Rejoin = rejoin;
        _nodes = [.. Enumerable.Range(0, nodes).Select(i => new SimNode(new PeerId($"n{i}", $"10.0.0.{i + 1}", 5432)))];
        foreach (var n in _nodes) _joinOrder.Add(n.Id);
    }

    public ClusterMode Mode { get; private set; }

    /// <summary>
    /// The timeline generation 1's primary starts on: 1 after initdb; past 1 for a cluster bootstrapped from a backup
    /// (<c>--bootstrap-from-backup</c>), whose restore promoted onto one past the old cluster's newest timeline. Every node
    /// starts on that history, as every node of such a cluster holds a copy of the restored database.
    /// </summary>
    public int RestoredTimeline
    {
        get;
        init
        {
            field = value;
            if (value <= 1) return;
            foreach (var n in _nodes) n.History = TimelineHistory.First.PromotedAt(Lsn.Zero, value);
            _timelines.UnionWith(Enumerable.Range(1, value));
        }
    } = 1;

    /// <summary>
    /// False makes peers report a position without raising the fence they were asked for: the unsafe way, kept to
    /// show that the model (and so the fences) matter.
    /// </summary>
    public bool RaiseFences { get; init; } = true;

    public RejoinPolicy Rejoin { get; }

    /// <summary>False leaves a standby whose upstream removed the WAL it needs as it is (before finding 10's fix), to show
    /// that <see cref="CheckTheChainStreams"/> can fail.</summary>
    public bool CloneStalledStandbys { get; init; } = true;

    /// <summary>
    /// Set up as a standby cluster of another cluster (the source, <see cref="ClusterState.StandbyOf"/>) that runs on
    /// timeline <see cref="StandbyOfTimeline"/>: the state's primary is then a standby leader that streams the source's
    /// WAL (<see cref="StepKind.SourceWrite"/> adds to it) and takes no writes, until
    /// <see cref="StepKind.PromoteCluster"/> promotes it. Nodes start empty, as the leader clones the source.
    /// </summary>
    public StandbySource? StandbyOf { get; init; }

    /// <summary>
    /// The source's timeline: its history records a promotion at the start for each number below it. 0 (or less) leaves
    /// the nodes' histories alone, for a world that is no standby cluster.
    /// </summary>
    public int StandbyOfTimeline
    {
        get;
        init
        {
            field = Math.Max(1, value);
            if (value <= 0) return;
            _sourceHistory = Enumerable.Range(2, Math.Max(0, value - 1)).Aggregate(TimelineHistory.First, (h, t) => h.PromotedAt(Lsn.Zero, t));
            // The source's numbers are in the leader's history: a promotion in this cluster must start none of them.
            _timelines.UnionWith(Enumerable.Range(1, value));
            // A clone of the source (the leader's, and the others' of it) holds its timeline's history file, even when
            // the source had written nothing yet.
            foreach (var n in _nodes) n.History = _sourceHistory;
        }
    } = 1;

    private TimelineHistory _sourceHistory = TimelineHistory.First;
    private ImmutableList<int> _sourceLog = [];
    private int _nextSourceWrite = -1;   // negative: never taken for a write of this cluster

    /// <summary>Standby leaders rewound onto their source's history after a <see cref="StepKind.SourceFailover"/>.</summary>
    public int LeaderRewinds { get; private set; }

    /// <summary>Failovers at the source (<see cref="StepKind.SourceFailover"/>).</summary>
    public int SourceFailovers { get; private set; }

    /// <summary>Standby clusters promoted by <see cref="StepKind.PromoteCluster"/>.</summary>
    public int ClusterPromotions { get; private set; }

    /// <summary>Standby leaders replaced inside a standby cluster (<see cref="TransitionReason.StandbyLeaderReplaced"/>).</summary>
    public int StandbyLeaderChanges { get; private set; }

    /// <summary>Writes acknowledged after a promotion of the standby cluster.</summary>
    public int AckedAfterPromotion => ClusterPromotions == 0 ? 0 : _acked.Count;

    /// <summary>Nodes tagged nofailover: they report the tag, and no state may make them sync or primary.</summary>
    public IReadOnlySet<string> NoFailover { get; init; } = new HashSet<string>();

    /// <summary>Forced failovers accepted, and the acknowledged writes they gave up (the only writes allowed to go).</summary>
    public int ForcedFailovers { get; private set; }

    /// <summary>Acknowledged writes a forced failover gave up, with the operator's consent.</summary>
    public int GivenUp { get; private set; }

    /// <summary>
    /// The node whose host runs the coordinator, always settled, so that <see cref="CoordinatorHostRelief"/> moves
    /// roles off it at every chance it gets (more often than production, which waits for a quiet spell); null: off.
    /// </summary>
    public int? CoordinatorNode { get; init; }

    public ClusterState? State { get; private set; }

    public int AckedCount => _acked.Count;

    public int Transitions { get; private set; }

    public int Takeovers { get; private set; }

    /// <summary>Takeovers that happened after some write had been acknowledged: the ones that can lose data.</summary>
    public int TakeoversAfterAcknowledgedWrites { get; private set; }

    /// <summary>The steps so far with the state after each, formatted for a failure message.</summary>
    public IEnumerable<string> Trace => _trace.Select(t => $"{t.Step} -> {t.State?.ToShortString() ?? "no state"} acked={t.Acked}");

    private SimNode Node(int i) => _nodes[i % _nodes.Count];

    private SimNode Node(string id) => _nodes.Single(n => n.Id == id);

    private SimNode? StatePrimary => State is null ? null : Node(State.Primary.Id);

    public void Apply(Step step)
    {
        var n = Node(step.Node);
        switch (step.Kind)
        {
            case StepKind.Write: Write(n); break;
            case StepKind.WriteToPrimary when StatePrimary is { } routed: Write(routed); break;
            case StepKind.Replicate: Replicate(n, step.Arg); break;
            case StepKind.ReplicateAll:
                if (StatePrimary is { } leader) FollowSource(leader, step.Arg);
                foreach (var x in ChainOrder().ToList()) Replicate(x, step.Arg);
                break;
            case StepKind.SourceWrite when StandbyOf is not null: _sourceLog = _sourceLog.Add(_nextSourceWrite--); break;
            case StepKind.SourceFailover when StandbyOf is not null && State?.IsStandbyCluster != false: SourceFailover(step.Arg); break;
            case StepKind.PromoteCluster: Coordinate(new OperatorCommand.PromoteCluster()); break;
            case StepKind.Deliver: Deliver(n); break;
            case StepKind.DeliverAll:
                foreach (var x in _nodes) Deliver(x);
                break;
            case StepKind.Coordinate: Coordinate(null); break;
            case StepKind.Crash:
                n.ProcessUp = n.PostgresUp = n.SeenByCoordinator = n.ReachesPeers = false;
                n.View = null;                 // a restarted node learns the state afresh before it serves
                break;
            case StepKind.Restart when !n.ProcessUp:
                n.ProcessUp = n.PostgresUp = true;
                Rejoins(n);
                break;
            case StepKind.CutFromCoordinator: n.SeenByCoordinator = false; break;
            case StepKind.Isolate: n.SeenByCoordinator = n.ReachesPeers = false; break;
            case StepKind.Heal when n.ProcessUp && !n.SeenByCoordinator: Rejoins(n); break;
            case StepKind.Heal when n.ProcessUp: n.ReachesPeers = true; break;
            case StepKind.PostgresCrash: n.PostgresUp = false; break;
            case StepKind.PostgresStart when n.ProcessUp: n.PostgresUp = true; break;
            case StepKind.Freeze: Coordinate(new OperatorCommand.Freeze($"reason {step.Arg}")); break;
            case StepKind.Unfreeze: Coordinate(new OperatorCommand.Unfreeze()); break;
            case StepKind.Switchover:
                Coordinate(new OperatorCommand.Switchover(step.Arg % 3 == 0 ? null : Node(step.Arg).Id));
                break;
            case StepKind.Rebuild: Coordinate(new OperatorCommand.Rebuild(n.Id)); break;
            case StepKind.Reap: Coordinate(new OperatorCommand.Reap(n.Id)); break;
            case StepKind.RewindDeposed: RewindDeposed(n); break;
            case StepKind.RewindStandby: RewindStandby(n); break;
            case StepKind.RemoveOldWal: n.HeldFrom = n.Log.Count; break;   // a checkpoint recycled it, or a clone began here
            case StepKind.CloneStalledStandby: CloneStalledStandby(n); break;
            case StepKind.LeaveSingleton: Mode = ClusterMode.Normal; break;
            case StepKind.Maintenance when State is not null:
                Coordinate(new OperatorCommand.Maintenance(n.Id, !State.InMaintenance(n.Id)));
                break;
            case StepKind.CutPrimaryAndSync when State is { Sync: { } lostSync }:
                // Both leave the coordinator's view together and stay up: the case a forced failover is for, and the
                // dangerous one, since the old primary still reaches its sync.
                foreach (var lost in new[] { State.Primary, lostSync }) Node(lost.Id).SeenByCoordinator = false;
                break;
            case StepKind.ForcedFailover when State is not null:
                // The coordinator holds a forced failover back until the lost primary and sync have been gone longer
                // than a primary's lease (ForcedFailoverHoldDown), so a primary cut off with them has fenced itself:
                // read-only, its waiting commits cut off, unacknowledged. The model takes that as given.
                foreach (var cut in _nodes.Where(c => c.ProcessUp && !c.SeenByCoordinator && ActingRole(c) == PeerRole.Primary))
                {
                    cut.SelfFenced = true;
                    foreach (var w in _pending.Where(p => p.Value == cut.Id).Select(p => p.Key).ToList()) _pending.Remove(w);
                }
                Coordinate(new OperatorCommand.Failover(n.Id, AcceptDataLoss: true));
                break;
        }
        _trace.Add((step, State, _acked.Count));
        CheckAcknowledgedWritesAreOnThePrimary();
    }

    /// <summary>After faults end: everyone back, views delivered, replication and coordination run to rest.</summary>
    public Decision HealEverything()
    {
        foreach (var n in _nodes)
        {
            if (!n.ProcessUp) { n.ProcessUp = true; Rejoins(n); }
            else if (!n.SeenByCoordinator) Rejoins(n);
            n.ReachesPeers = n.PostgresUp = true;
        }
        Decision rest = Decision.None;
        for (var round = 0; round < 2 * _nodes.Count + 4; round++)
        {
            rest = Coordinate(null);
            foreach (var n in _nodes) Deliver(n);
            foreach (var n in _nodes) if (n.View?.RoleOf(n.Id).Role == PeerRole.Deposed) RewindDeposed(n);
            // A forked standby is rewound by its role's stall check alone here (StandbyStall's Rewind): the role's
            // check at its start (RewindStandby) runs only when its role key changes, which healing need not do.
            if (StatePrimary is { } leader) FollowSource(leader, int.MaxValue);
            SettleStandbys();
            CheckAcknowledgedWritesAreOnThePrimary();
        }
        return rest;
    }

    /// <summary>An operator ends every maintenance (before a heal: a peer left in maintenance stays out for good).</summary>
    public void EndMaintenance()
    {
        foreach (var id in State?.Maintenance ?? []) Coordinate(new OperatorCommand.Maintenance(id, On: false));
    }

    /// <summary>Writes once to the state's primary and replicates to its sync; true if the write was acknowledged.</summary>
    public bool TakesWrites()
    {
        var primary = StatePrimary!;
        var before = _acked.Count;
        Write(primary);
        if (State!.Sync is { } sync) Replicate(Node(sync.Id), int.MaxValue);
        CheckAcknowledgedWritesAreOnThePrimary();
        // Time passes: the write carries a promotion's new timeline down the chain (the model moves a standby to its
        // upstream's timeline only with WAL), and a standby ahead of the promotion point finds itself forked, which
        // its role's stall check rewinds.
        SettleStandbys();
        return _acked.Count > before;
    }

    /// <summary>
    /// Stall checks and replication, once per link of the chain: a new timeline moves one link down per pass (the model
    /// moves a standby to its upstream's timeline only with WAL), and a standby ahead of where it forked finds itself
    /// off its upstream's history only then, which its role's stall check rewinds (every few seconds in the node).
    /// </summary>
    private void SettleStandbys()
    {
        for (var pass = 0; pass <= _nodes.Count; pass++)
        {
            foreach (var n in _nodes) CloneStalledStandby(n);
            foreach (var n in ChainOrder()) Replicate(n, int.MaxValue);
        }
    }

    /// <summary>
    /// The state's primary, once it runs the state's generation, holds initWal on the generation's history: else the
    /// rules would refuse every later takeover and planned move of it as off the generation's history.
    /// </summary>
    public void CheckThePrimaryHoldsInitWal()
    {
        var primary = StatePrimary!;
        if (primary.View?.Version != State!.Version || !primary.PostgresUp) return;
        if (PositionOf(primary) < State.InitWal || (State.InitHistory is { } init && !primary.History.Holds(init, State.InitWal)))
            throw new ModelViolation(
                $"primary {primary.Id} at {PositionOf(primary)} on {primary.History} does not hold initWal {State.InitWal} on {State.InitHistory}", Trace);
    }

    /// <summary>
    /// A healed standby cluster's leader holds the source's WAL, all of it, on the source's history (the model moves a
    /// standby onto a newer timeline only with WAL, so one the source has written nothing on yet need not be reached).
    /// </summary>
    public void CheckTheLeaderFollowsTheSource()
    {
        var leader = StatePrimary!;
        if (!_sourceHistory.Holds(leader.History, PositionOf(leader)) || !leader.Log.SequenceEqual(_sourceLog))
            throw new ModelViolation($"standby leader {leader.Id} is at {PositionOf(leader)} on {leader.History}, not at the source's {_sourceLog.Count * LsnBytesPerWrite:X} on {_sourceHistory}", Trace);
    }

    /// <summary>
    /// Liveness after healing (finding 10): every standby of the state whose node runs can stream from its upstream: it
    /// is not stuck below the WAL its upstream still holds, nor forked off its upstream's history.
    /// </summary>
    public void CheckTheChainStreams()
    {
        foreach (var x in _nodes.Where(x => x.View?.Version == State!.Version && ActingRole(x) is PeerRole.Sync or PeerRole.Async))
            if (ServingUpstream(x) is { } u && (x.Log.Count < u.HeldFrom || !u.History.Holds(x.History, PositionOf(x))))
                throw new ModelViolation($"{x.Id} ({ActingRole(x)}) at {PositionOf(x)} on {x.History} cannot stream from {u.Id} ({ActingRole(u)}, at {PositionOf(u)} on {u.History}, promoted {u.Promoted}): " +
                    (x.Log.Count < u.HeldFrom ? $"its WAL begins at entry {u.HeldFrom}" : "it is forked off that history") + $"; receiver stopped {x.ReceiverStopped}", Trace);
    }

    /// <summary>Overrides the coordinator's state, for the checker's self-test only.</summary>
    public void ForceState(ClusterState state)
    {
        State = state;
        CheckAcknowledgedWritesAreOnThePrimary();
    }

    private IEnumerable<SimNode> ChainOrder() =>
        State is null ? [] : new[] { State.Sync }.Concat(State.Async).Where(p => p is not null).Select(p => Node(p!.Id));

    private void Rejoins(SimNode n)
    {
        // A node that was cut off rejoins the cluster as a new member, at the end of the join order.
        n.SeenByCoordinator = n.ReachesPeers = true;
        _joinOrder.Remove(n.Id);
        _joinOrder.Add(n.Id);
    }

    private static PeerRole ActingRole(SimNode n) => n.View?.RoleOf(n.Id).Role ?? PeerRole.Unassigned;

    private static bool Serves(SimNode n) =>
        n.ProcessUp && n.PostgresUp && ActingRole(n) is PeerRole.Primary or PeerRole.Sync or PeerRole.Async;

    private void Write(SimNode n)
    {
        // Clients reach a primary even when the cluster cannot: a cut-off primary keeps taking writes.
        if (!Serves(n) || ActingRole(n) != PeerRole.Primary || n.SelfFenced || IsStandbyLeader(n)) return;
        var id = _nextWrite++;
        n.Log = n.Log.Add(id);
        if (n.SyncName is null) _acked.Add(id);   // no synchronous_standby_names: acknowledged at once (singleton)
        else _pending[id] = n.Id;
    }

    private SimNode? ServingUpstream(SimNode x)
    {
        if (!Serves(x) || !x.ReachesPeers || ActingRole(x) == PeerRole.Primary) return null;
        var upstream = x.View!.RoleOf(x.Id).Upstream;
        if (upstream is null) return null;
        var u = Node(upstream.Id);
        // An async streams only from a standby: an upstream that still runs as a primary (on a stale view) would count
        // it as its named sync and acknowledge commits the state's primary never sees (found by this model). The node
        // checks pg_is_in_recovery() on its upstream before it follows.
        if (ActingRole(x) == PeerRole.Async && (ActingRole(u) == PeerRole.Primary || u.Promoted)) return null;
        return Serves(u) && u.ReachesPeers ? u : null;
    }

    /// <summary>Whether <paramref name="n"/> runs as the leader of a standby cluster: in recovery, following the source.</summary>
    private static bool IsStandbyLeader(SimNode n) => ActingRole(n) == PeerRole.Primary && n.View!.IsStandbyCluster && !n.Promoted;

    /// <summary>
    /// A standby leader's WAL receiver: the source's WAL, on the source's history (a leader forked off it by a
    /// <see cref="StepKind.SourceFailover"/> waits for its rewind), unless its receiver is fenced or its view says it is
    /// no leader.
    /// </summary>
    private void FollowSource(SimNode x, int amount)
    {
        if (StandbyOf is null || x.ReceiverStopped || !Serves(x) || !x.ReachesPeers || !IsStandbyLeader(x)) return;
        if (!_sourceHistory.Holds(x.History, PositionOf(x)) || CommonPrefix(x.Log, _sourceLog) < x.Log.Count || x.Log.Count >= _sourceLog.Count) return;
        var take = (int)Math.Min(_sourceLog.Count, (long)x.Log.Count + Math.Max(1, amount));
        x.Log = _sourceLog.GetRange(0, take);
        x.HoldsPartOfNext = take < _sourceLog.Count && amount % 2 == 0;
        x.History = _sourceHistory;
        NoteSourceTimelines();
    }

    /// <summary>
    /// The source's timelines count as started here once a member holds their history: a promotion of this cluster must
    /// then start none of them. One the source started that no member has seen can meet this cluster only through the
    /// source (the documented hazard of a promoted standby cluster, not modelled); a skipped number was never started.
    /// </summary>
    private void NoteSourceTimelines()
    {
        _timelines.Add(_sourceHistory.Timeline);
        foreach (var left in _sourceHistory.Past) _timelines.Add(left.Timeline);
    }

    /// <summary>
    /// A failover at the source: its sync, which held all but the last few of its writes (never acknowledged there), is
    /// promoted onto a later timeline (sometimes skipping a number, as a generation with no promotion does).
    /// A leader that streamed those writes has forked off the source's history and can follow it only once rewound.
    /// After promote-cluster the source no longer matters here (the hazard of its numbers is documented, not modelled).
    /// </summary>
    private void SourceFailover(int arg)
    {
        var dropped = Math.Min(_sourceLog.Count, arg % 3);
        var keep = _sourceLog.Count - dropped;
        var timeline = _sourceHistory.Timeline + 1 + arg % 2;
        _sourceLog = _sourceLog.GetRange(0, keep);
        _sourceHistory = _sourceHistory.PromotedAt(new Lsn((ulong)keep * LsnBytesPerWrite), timeline);
        // A promotion writes on its new timeline at once (its end-of-recovery checkpoint): followers carry the new
        // timeline with WAL, as the model moves a standby onto a timeline only with WAL.
        _sourceLog = _sourceLog.Add(_nextSourceWrite--);
        SourceFailovers++;
    }

    /// <summary>
    /// A standby leader's stall check against its source's primary (StandbyLeaderRole): the real rule on what it would
    /// read; forked off the source's history, it is rewound onto it. The source keeps all its WAL here, so it is never
    /// cloned afresh. A fence (promote-cluster reading its position) stops its receiver, and the driver then refuses.
    /// </summary>
    private void RewindForkedLeader(SimNode n)
    {
        if (!CloneStalledStandbys || StandbyOf is null || n.ReceiverStopped || !Serves(n) || !n.ReachesPeers || !IsStandbyLeader(n)) return;
        var own = new StandbyProgress(Streaming: false, PositionOf(n), n.History);
        var theirs = new UpstreamWal(0, LsnBytesPerWrite, _sourceHistory);
        if (StandbyStall.Decide("the source's primary", new StallReading(own, theirs), TimeSpan.FromMinutes(1), TimeSpan.FromSeconds(30))
            is not StallVerdict.Rewind) return;
        RewindOnto(n, _sourceLog, _sourceHistory);
        NoteSourceTimelines();
        LeaderRewinds++;
    }

    private void Replicate(SimNode x, int amount)
    {
        FollowSource(x, amount);
        if (x.ReceiverStopped || ServingUpstream(x) is not { } u) return;
        // A standby runs in recovery: whatever it was before, it now follows its upstream's timelines.
        x.Promoted = false;

        // PostgreSQL refuses to follow a timeline that forked below its replay point (and never truncates): the
        // standby stays where it is until it is rewound (RewindStandby).
        if (!u.History.Holds(x.History, PositionOf(x))) return;
        // An upstream behind it on the same history has nothing to send yet; one that holds different WAL where both
        // have some would mean two writers of one timeline, which histories cannot tell apart.
        if (CommonPrefix(x.Log, u.Log) < Math.Min(x.Log.Count, u.Log.Count))
            throw new ModelViolation(
                $"{x.Id} streams from {u.Id} by their timeline histories ({x.History} at {PositionOf(x)}, {u.History}), but their WAL differs: two timelines share a number and a switch point", Trace);
        if (x.Log.Count >= u.Log.Count) return;
        if (x.Log.Count < u.HeldFrom) return;   // "requested WAL segment … has already been removed", for ever
        var take = (int)Math.Min(u.Log.Count, (long)x.Log.Count + Math.Max(1, amount));
        x.Log = u.Log.GetRange(0, take);
        // A primary flushes by page and segment, not by record, so a stream can stop inside the next record: here
        // whenever it stops short of the upstream's end on an even amount. Replay stops before that record, and no
        // commit in it is acknowledged (the sync has not flushed it whole).
        x.HoldsPartOfNext = take < u.Log.Count && amount % 2 == 0;
        x.History = u.History;

        // Synchronous commit: the primary acknowledges a waiting commit once its named sync has flushed it.
        if (ActingRole(u) == PeerRole.Primary && u.SyncName == x.Id)
            foreach (var (write, primary) in _pending.Where(p => p.Value == u.Id).ToList())
                if (u.Log.IndexOf(write) is var at && at >= 0 && at < x.Log.Count)
                {
                    _acked.Add(write);
                    _pending.Remove(write);
                }
    }

    private void Deliver(SimNode n)
    {
        if (State is not null && n.ProcessUp && n.SeenByCoordinator) n.SelfFenced = false;   // the coordinator reaches it again
        if (State is null || !n.ProcessUp || !n.SeenByCoordinator || n.View?.Version >= State.Version) return;
        var before = ActingRole(n);
        var ledStandbyCluster = before == PeerRole.Primary && n.View!.IsStandbyCluster;
        n.View = State;
        var role = ActingRole(n);
        n.ReceiverStopped = false;
        if (role == PeerRole.Primary && State.IsStandbyCluster)
        {
            // The standby leader stays in recovery and names no sync: it acknowledges nothing.
            n.SyncName = null;
            return;
        }
        if (role == PeerRole.Primary && !n.Promoted)
        {
            // Promotion starts a new timeline at the end of its WAL. PostgreSQL numbers it one past the newest it
            // knows of, so two promotions that never heard of each other can pick the same number at the same point,
            // and no history can tell their WAL apart; the node promotes onto the generation's number instead
            // (PromotionTimeline). Generation 1's primary is the cluster's initdb (or its restore), already a primary.
            if (State.Generation != 1)
            {
                var timeline = PromotionTimeline.For(n.History.Timeline, n.View!.Generation);
                // The premise of every history comparison: no number is ever started twice. Checked here directly, as
                // the streaming check below sees a duplicate only when both promotions also forked at one position.
                if (!_timelines.Add(timeline))
                    throw new ModelViolation($"{n.Id} starts timeline {timeline} in generation {n.View.Generation}, a number started before", Trace);
                n.History = n.History.PromotedAt(PositionOf(n), timeline);
                // A promoted standby cluster runs on the timeline numbered as its generation, as every cluster does.
                if (ledStandbyCluster && timeline != n.View.Generation)
                    throw new ModelViolation($"{n.Id} promoted its standby cluster onto timeline {timeline} in generation {n.View.Generation}", Trace);
            }
            n.Promoted = true;
            n.HoldsPartOfNext = false;   // the promotion ends recovery at the last whole record and drops the rest
        }
        if (role == PeerRole.Primary)
            n.SyncName = State.Singleton ? null : State.Sync!.Id;   // named before any write of the new generation
        else
            n.SyncName = null;
        if (before == PeerRole.Primary && role != PeerRole.Primary)
            foreach (var w in _pending.Where(p => p.Value == n.Id).Select(p => p.Key).ToList())
                _pending.Remove(w);   // a deposed primary stops: its waiting commits fail, unacknowledged
    }

    /// <summary>A deposed node rewinds onto the primary of its own view (pg_rewind), and says onto what.</summary>
    private void RewindDeposed(SimNode n)
    {
        if (n.View is not { } view || !n.ProcessUp || !n.ReachesPeers || ActingRole(n) != PeerRole.Deposed) return;
        var primary = Node(view.Primary.Id);
        if (!primary.ProcessUp || !primary.PostgresUp || !primary.ReachesPeers || ActingRole(primary) != PeerRole.Primary) return;
        RewindOnto(n, primary);
        n.RewoundOnto = new RejoinTarget(primary.Id, view.Generation, primary.History.Timeline);
    }

    /// <summary>
    /// A standby whose upstream's history forked below its replay point rewinds onto it (the node's follow rule);
    /// a no-op for one that can stream.
    /// </summary>
    private void RewindStandby(SimNode n)
    {
        if (ServingUpstream(n) is not { } u || u.History.Holds(n.History, PositionOf(n))) return;
        RewindOnto(n, u);
    }

    /// <summary>
    /// The standby role's stall check: the real rule (<see cref="StandbyStall"/>) on what the node would read, one WAL
    /// entry to a segment; on its verdict the node is cloned afresh from its upstream, unless a fence stopped its receiver
    /// (the driver refuses a standby that does not follow that upstream). The node acts on its own, perhaps stale, view.
    /// </summary>
    private void CloneStalledStandby(SimNode n)
    {
        RewindForkedLeader(n);
        if (!CloneStalledStandbys || n.ReceiverStopped || ServingUpstream(n) is not { } u) return;
        var own = new StandbyProgress(Streaming: false, PositionOf(n), n.History);
        var theirs = new UpstreamWal((ulong)u.HeldFrom, LsnBytesPerWrite, u.History, PositionOf(u));
        var verdict = StandbyStall.Decide(u.Peer, new StallReading(own, theirs), TimeSpan.FromMinutes(1), TimeSpan.FromSeconds(30));
        if (verdict is StallVerdict.Rewind)
        {
            RewindOnto(n, u);   // the role follows its upstream again, which rewinds it (PostgresDriver.FollowAsync)
            return;
        }
        if (verdict is not StallVerdict.CloneAfresh) return;
        n.Log = u.Log;
        n.History = u.History;
        n.HeldFrom = u.Log.Count;   // a fresh copy's pg_wal begins at the copy
        n.Promoted = false;
        n.HoldsPartOfNext = false;
    }

    /// <summary>
    /// pg_rewind: finds where the two histories part (it reads history files, as here) and replaces everything after
    /// that with the source's WAL; the node then follows the source's timeline as a standby.
    /// </summary>
    private static void RewindOnto(SimNode n, SimNode source) => RewindOnto(n, source.Log, source.History);

    private static void RewindOnto(SimNode n, ImmutableList<int> sourceLog, TimelineHistory sourceHistory)
    {
        var fork = sourceHistory.ForkPoint(n.History);
        var keep = (int)Math.Min((ulong)n.Log.Count, Math.Min((ulong)sourceLog.Count, fork.Value / LsnBytesPerWrite));
        n.Log = sourceLog.GetRange(0, keep);
        n.HeldFrom = Math.Min(n.HeldFrom, keep);   // pg_rewind copies the source's WAL from before the fork
        n.History = sourceHistory;
        n.Promoted = false;
        n.HoldsPartOfNext = false;
    }

    private static int CommonPrefix(ImmutableList<int> a, ImmutableList<int> b)
    {
        var i = 0;
        while (i < a.Count && i < b.Count && a[i] == b[i]) i++;
        return i;
    }

    private static Lsn PositionOf(SimNode n) => new((ulong)n.Log.Count * LsnBytesPerWrite);

    private static Lsn ReceivedOf(SimNode n) => new(PositionOf(n).Value + (n.HoldsPartOfNext ? LsnBytesPerWrite / 2UL : 0UL));

    /// <summary>The coordinator: evaluates until rest, running probes and fences, lifting fences nothing used.</summary>
    private Decision Coordinate(OperatorCommand? command)
    {
        var fences = new Dictionary<string, WalFence>();
        var written = new List<ClusterState>();
        Decision rest = Decision.None;
        for (var lap = 0; lap < 40; lap++)
        {
            var decision = EvaluateWithProbes(lap == 0 ? command : null, fences);
            if (decision is Transition t)
            {
                var previous = State;
                State = t.Next;
                written.Add(t.Next);
                Transitions++;
                if (t.Next.Primary.Id != previous?.Primary.Id && previous is not null)
                {
                    Takeovers++;
                    if (_acked.Count > 0) TakeoversAfterAcknowledgedWrites++;
                }
                HistoryInvariants.Check(previous, t);
                if (t.Reason == TransitionReason.ClusterPromoted) ClusterPromotions++;
                if (t.Reason == TransitionReason.StandbyLeaderReplaced) StandbyLeaderChanges++;
                if (t.Reason == TransitionReason.ForcedFailover)
                {
                    // The operator accepted losing what the new primary lacks: only those writes may go.
                    var kept = Node(t.Next.Primary.Id).Log;
                    GivenUp += _acked.RemoveWhere(w => !kept.Contains(w));
                    ForcedFailovers++;
                }
                continue;
            }
            rest = decision;
            break;
        }
        foreach (var (id, fence) in fences) LiftUnusedFence(Node(id), fence, written);
        return rest;
    }

    private Decision EvaluateWithProbes(OperatorCommand? command, Dictionary<string, WalFence> fences) =>
        ProbingEvaluation.Run(State, (fenced, failed) => Observe(command, fenced, failed), probe =>
        {
            var p = Node(probe.PeerId);
            if (!RaiseFence(p, probe.Fence)) return null;
            fences[p.Id] = probe.Fence;
            // A standby may hold the first part of its upstream's next record: past its replayed end, which is where
            // a promotion of it forks (ARCHITECTURE §4 "Positions are record ends").
            return (PositionOf(p), p.History, probe.Fence is WalFence.StopReceiving ? ReceivedOf(p) : null);
        });

    /// <summary>A node answers a probe only in the role the fence is for, and only if its PostgreSQL runs.</summary>
    private bool RaiseFence(SimNode p, WalFence fence)
    {
        if (!p.ProcessUp || !p.PostgresUp || !p.SeenByCoordinator) return false;
        switch (fence)
        {
            case WalFence.StopReceiving when ActingRole(p) is PeerRole.Sync or PeerRole.Async || IsStandbyLeader(p):
                p.ReceiverStopped = RaiseFences;
                return true;
            // A standby leader cannot read its flushed position: the driver refuses, as it is in recovery.
            case WalFence.NameSync name when ActingRole(p) == PeerRole.Primary && !IsStandbyLeader(p):
                if (RaiseFences) p.SyncName = name.PeerId;
                return true;
            default:
                return false;
        }
    }

    private void LiftUnusedFence(SimNode p, WalFence fence, IReadOnlyCollection<ClusterState> written)
    {
        if (!fence.IsUnusedByRound(p.Id, State, written)) return;
        if (fence is WalFence.StopReceiving) p.ReceiverStopped = false;
        else p.SyncName = State!.Singleton ? null : State.Sync!.Id;
    }

    private ClusterObservation Observe(OperatorCommand? command, ImmutableDictionary<string, FencedPosition> fenced, IReadOnlySet<string> failed)
    {
        var members = _joinOrder.Select(Node).Where(n => n.ProcessUp && n.SeenByCoordinator).ToList();
        return new ClusterObservation
        {
            Members = [.. members.Select(n => n.Peer)],
            Reports = members.ToImmutableDictionary(n => n.Id, n => new PeerReport(
                PostgresUp: n.PostgresUp && !failed.Contains(n.Id),
                Wal: PositionOf(n),
                HasExistingData: !n.Log.IsEmpty,
                ReadyToRejoin: n.RewoundOnto is not null && State?.IsDeposed(n.Id) == true,
                History: n.PostgresUp ? n.History : null,
                RewoundOnto: State?.IsDeposed(n.Id) == true ? n.RewoundOnto : null,
                Tags: NoFailover.Contains(n.Id) ? PeerTags.NoFailover : PeerTags.None,
                StandbyOf: StandbyOf)),
            FencedPositions = fenced,
            Mode = Mode,
            StandbyOf = StandbyOf,
            Rejoin = Rejoin,
            Command = command,
            Now = ScenarioCluster.Now,
            Coordinator = CoordinatorNode is { } c ? new CoordinatorHost([_nodes[c % _nodes.Count].Id], Settled: true) : null,
        };
    }

    private void CheckAcknowledgedWritesAreOnThePrimary()
    {
        foreach (var n in _nodes.Where(n => n.RewoundOnto is not null && State?.IsDeposed(n.Id) != true)) n.RewoundOnto = null;
        if (State is { } s && new[] { s.Primary, s.Sync }.OfType<PeerId>().FirstOrDefault(p => NoFailover.Contains(p.Id)) is { } tagged)
            throw new ModelViolation($"{tagged.Id} is tagged nofailover but the state makes it {s.RoleOf(tagged.Id).Role}", Trace);
        if (_acked.Count == 0) return;
        if (State is null) throw new ModelViolation("writes were acknowledged before any state existed", Trace);
        var primary = StatePrimary!;
        if (_lastChecked == (primary.Id, primary.Log, _acked.Count)) return;
        _lastChecked = (primary.Id, primary.Log, _acked.Count);
        var missing = _acked.Where(w => !primary.Log.Contains(w)).Order().ToList();
        if (missing.Count > 0)
            throw new ModelViolation(
                $"acknowledged writes [{string.Join(",", missing.Take(10))}] are not on primary {primary.Id} (log length {primary.Log.Count})", Trace);
    }

    private sealed class SimNode(PeerId peer)
    {
        public PeerId Peer { get; } = peer;
        public string Id => Peer.Id;
        public ImmutableList<int> Log { get; set; } = [];
        public int HeldFrom { get; set; }               // the first WAL entry still in pg_wal: a walsender sends none below
        public bool ProcessUp { get; set; } = true;
        public bool PostgresUp { get; set; } = true;
        public bool SeenByCoordinator { get; set; } = true;
        public bool ReachesPeers { get; set; } = true;
        public ClusterState? View { get; set; }
        public string? SyncName { get; set; }           // synchronous_standby_names, kept in the config on disk
        public bool ReceiverStopped { get; set; }       // fence, kept in the config on disk
        public RejoinTarget? RewoundOnto { get; set; }  // what its last rewind as a deposed peer was onto
        public TimelineHistory History { get; set; } = TimelineHistory.First;
        public bool Promoted { get; set; }              // out of recovery: writes a timeline of its own
        public bool HoldsPartOfNext { get; set; }       // received the first part of its upstream's next record
        public bool SelfFenced { get; set; }            // a primary whose coordinator lease ran out: read-only
    }
}

/// <summary>A broken safety property, with the steps that led to it.</summary>
internal sealed class ModelViolation(string what, IEnumerable<string> trace)
    : Exception($"{what}\nlast steps:\n  {string.Join("\n  ", trace.TakeLast(25))}");
