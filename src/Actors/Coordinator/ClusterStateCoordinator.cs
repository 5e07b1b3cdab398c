using System.Diagnostics;
using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Tools.PublishSubscribe;
using Akka.Event;
using Akka.Pattern;
using Akka.Persistence;
using Akka.Streams;
using Appliance.Actors.Protocol;
using Appliance.Nodes.State;
using static Appliance.Actors.Coordinator.CoordinatorTimerMessages;

namespace Appliance.Actors.Coordinator;

/// <summary>
/// The cluster singleton that decides, persists and publishes the authoritative cluster state. It runs
/// <see cref="ClusterRules"/> on what it observes and only moves messages and runs effects: persist first, then adopt
/// and publish; probe fences when the rules ask; lift the fences the final state did not use.
/// </summary>
/// <remarks>
/// <para>Compare-and-set: the journal's unique (persistence id, sequence number) key makes every write a CAS on the
/// state's version. A stale incarnation (lost the singleton, wrong side of a partition) fails its next write and is
/// stopped before it adopts or publishes anything; run it under <see cref="SupervisedProps"/> so that it comes back,
/// recovers and sees the winner's events.</para>
/// <para>Handles <see cref="NodeProtocol.StatusReport"/>, <see cref="NodeDeparted"/>, <see cref="NodeProtocol.FenceRaised"/>,
/// <see cref="NodeProtocol.FenceFailed"/>, <see cref="OperatorProtocol.Submit"/>, <see cref="ClusterStateProtocol.GetState"/>,
/// <see cref="ClusterStateProtocol.GetHistory"/>, <see cref="WriteOutageProtocol.GetOutages"/> and cluster member events.
/// Each write outage it measures goes to its child <see cref="WriteOutageJournal"/>. Sends <see cref="ClusterStateProtocol.StateChanged"/>
/// (pub-sub and each node), <see cref="NodeProtocol.RaiseFence"/>, <see cref="NodeProtocol.LiftFence"/> and the answers.</para>
/// </remarks>
public sealed class ClusterStateCoordinator : ReceivePersistentActor, IWithTimers
{
    private const string TickTimer = "evaluation-tick";
    private const string RepublishTimer = "topic-republish";
    private const string GraceTimer = "startup-grace";
    private const string ProbeTimer = "probe-timeout";

    private readonly CoordinatorSettings _settings;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly PeerMembership _membership;
    private readonly Queue<QueuedCommand> _commands = new();
    // Only for an operator's password rotation: which passwords each node holds (fingerprints). Not persisted: every
    // node reports twice a second.
    private readonly Dictionary<string, IReadOnlyList<string>> _secretFingerprints = [];
    private readonly IActorRef _mediator;
    private readonly Cluster? _cluster;

    // Names this coordinator in the fences it raises and the states it publishes; a restart is a new incarnation.
    private readonly string _incarnation = Guid.NewGuid().ToString("N")[..12];

    // The identity of a cluster this coordinator sets up; unused once a state exists.
    private readonly string _newClusterId = Guid.NewGuid().ToString();
    private ClusterState? _state;
    private Refusal? _lastRefusal;
    private readonly LastPrimaryWal _primaryWal = new();
    private string? _lastDeferred;   // logged once per change, not at every tick
    private EvaluationRound? _round;
    private bool _evaluationWanted;
    private bool _recovered;
    private DateTimeOffset _recoveredAt;
    private string? _lastPresent;
    private DateTimeOffset _quietSince;   // last write, change of present peers, or fence: see CoordinatorHost.Settled
    private ActorMaterializer? _materializer;   // one per incarnation: each would otherwise leave a child actor behind
    private readonly CoordinatorMetrics _metrics;
    private readonly WriteGapWatch _writeGaps = new();
    private IActorRef _outageJournal = ActorRefs.Nobody;
    private long _persistStarted;   // Stopwatch timestamp of the write in flight (a round writes one state at a time)

    // Random start: a late answer to a probe of an earlier incarnation must not match a probe of this one.
    private long _nextProbeId = Random.Shared.NextInt64(1, long.MaxValue / 2);

    /// <summary>Creates the coordinator; use <see cref="SupervisedProps"/> in production.</summary>
    /// <param name="settings">Its settings.</param>
    public ClusterStateCoordinator(CoordinatorSettings settings)
    {
        _settings = settings.EnsureValid();
        _metrics = settings.Metrics ?? CoordinatorMetrics.Unexported();
        _mediator = settings.PubSubMediator ?? DistributedPubSub.Get(Context.System).Mediator;
        if (settings.Membership == MembershipSource.ClusterMembers)
            _cluster = Cluster.Get(Context.System);
        _membership = new PeerMembership(settings.Membership, settings.ReportLease, _cluster?.SelfAddress);

        Recover<SnapshotOffer>(OnSnapshotOffer);
        Recover<ClusterStateProtocol.StateRecorded>(OnRecoveredEvent);
        Recover<RecoveryCompleted>(_ => OnRecoveryCompleted());

        Command<NodeProtocol.StatusReport>(OnStatusReport);
        Command<NodeDeparted>(OnNodeDeparted);
        Command<NodeProtocol.FenceRaised>(OnFenceRaised);
        Command<NodeProtocol.FenceFailed>(m => OnProbeUnanswered(m.ProbeId, $"{m.PeerId} could not raise the fence: {m.Reason}"));
        Command<ProbeTimedOut>(m => OnProbeUnanswered(m.ProbeId, $"no answer within {_settings.ProbeTimeout}"));
        Command<OperatorProtocol.Submit>(m =>
        {
            _commands.Enqueue(new QueuedCommand(m.Command, Sender));
            StartNextRound();
        });
        Command<ClusterStateProtocol.GetState>(_ => Sender.Tell(new ClusterStateProtocol.CurrentState(_state, _lastRefusal, _primaryWal.Of(_state), PeerTagsNow(),
            [.. _membership.PeersWithCoordinator(Now()).Order(StringComparer.Ordinal)])));
        Command<ClusterStateProtocol.GetHistory>(m => AnswerHistory(m, Sender));
        Command<WriteOutageProtocol.GetOutages>(m => AnswerOutages(m, Sender));
        Command<CredentialProtocol.GetSecretFingerprints>(_ =>
            Sender.Tell(new CredentialProtocol.SecretFingerprints(_secretFingerprints.ToDictionary())));
        Command<EvaluationTick>(_ => OnTick());
        Command<TopicRepublishTick>(_ =>
        {
            if (_state is not null) PublishOnTopic(_state);
        });
        Command<ClusterEvent.IMemberEvent>(e => MembershipMayHaveChanged(_membership.MemberChanged(e.Member, Now())));
        Command<ClusterEvent.UnreachableMember>(e => MembershipMayHaveChanged(_membership.ReachabilityChanged(e.Member, false, Now())));
        Command<ClusterEvent.ReachableMember>(e => MembershipMayHaveChanged(_membership.ReachabilityChanged(e.Member, true, Now())));
        Command<SaveSnapshotSuccess>(m => _log.Debug("Snapshot saved at sequence number {0}.", m.Metadata.SequenceNr));
        Command<SaveSnapshotFailure>(m =>
            _log.Warning(m.Cause, "Saving the snapshot at sequence number {0} failed; recovery replays more events until the next one.", m.Metadata.SequenceNr));
    }

    /// <inheritdoc />
    public ITimerScheduler Timers { get; set; } = null!;

    /// <inheritdoc />
    public override string PersistenceId => StateStoreOptions.PersistenceId;

    /// <summary>Props of a bare coordinator (tests; a persist failure stops it for good).</summary>
    /// <param name="settings">Its settings.</param>
    public static Props Props(CoordinatorSettings settings) => Akka.Actor.Props.Create(() => new ClusterStateCoordinator(settings));

    /// <summary>
    /// Props of a coordinator under a <see cref="BackoffSupervisor"/> that starts it again after it stopped (a failed
    /// write, which is how a stale coordinator is fenced off): it recovers from the journal and so sees the winner's
    /// state. Messages sent while it is down go to dead letters; senders ask again.
    /// </summary>
    /// <param name="settings">Its settings.</param>
    /// <param name="minBackoff">First restart delay (default 200 ms: a fenced coordinator should catch up fast).</param>
    /// <param name="maxBackoff">Longest restart delay (default 10 s: a state store that is down is not hammered).</param>
    public static Props SupervisedProps(CoordinatorSettings settings, TimeSpan? minBackoff = null, TimeSpan? maxBackoff = null) =>
        BackoffSupervisor.Props(Backoff.OnStop(
            Props(settings), ClusterTopology.CoordinatorName,
            minBackoff ?? TimeSpan.FromMilliseconds(200), maxBackoff ?? TimeSpan.FromSeconds(10),
            randomFactor: 0.2, maxNrOfRetries: -1));

    /// <inheritdoc />
    protected override void PreStart()
    {
        _cluster?.Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsEvents,
            typeof(ClusterEvent.IMemberEvent), typeof(ClusterEvent.IReachabilityEvent));
        _outageJournal = Context.ActorOf(WriteOutageJournal.SupervisedProps(), "write-outages");
        base.PreStart();
    }

    /// <inheritdoc />
    protected override void PostStop()
    {
        _cluster?.Unsubscribe(Self);
        base.PostStop();
    }

    /// <inheritdoc />
    protected override void OnPersistFailure(Exception cause, object @event, long sequenceNr)
    {
        _log.Error(cause,
            "Writing state version {0} failed; this coordinator stops without adopting or publishing it. If another coordinator wrote " +
            "that version first (compare-and-set lost), the restarted coordinator recovers its state from the journal.", sequenceNr);
        base.OnPersistFailure(cause, @event, sequenceNr);
    }

    /// <inheritdoc />
    protected override void OnPersistRejected(Exception cause, object @event, long sequenceNr)
    {
        // The journal refused the event (serialization): nothing was written, so nothing may be adopted. Stopping
        // lets the supervisor start a clean incarnation instead of a round that waits forever for its callback.
        _log.Error(cause, "The journal rejected state version {0}; stopping.", sequenceNr);
        base.OnPersistRejected(cause, @event, sequenceNr);
        Context.Stop(Self);
    }

    private void OnSnapshotOffer(SnapshotOffer offer)
    {
        if (offer.Snapshot is not CoordinatorSnapshot snapshot)
            throw new InvalidOperationException($"Snapshot at {offer.Metadata.SequenceNr} is a {offer.Snapshot.GetType()}, not a {nameof(CoordinatorSnapshot)}.");
        EnsureVersionIsSequenceNumber(snapshot.State, offer.Metadata.SequenceNr, "snapshot");
        _state = snapshot.State;
    }

    private void OnRecoveredEvent(ClusterStateProtocol.StateRecorded recorded)
    {
        EnsureVersionIsSequenceNumber(recorded.State, LastSequenceNr, "recovered event");
        _state = recorded.State;
    }

    private void OnRecoveryCompleted()
    {
        _recovered = true;
        _recoveredAt = Now();
        _quietSince = _recoveredAt;
        _log.Info("Coordinator recovered at sequence number {0}: {1}.", LastSequenceNr, _state?.ToString() ?? "no state yet");
        Timers.StartPeriodicTimer(TickTimer, EvaluationTick.Instance, _settings.EvaluationInterval);
        Timers.StartPeriodicTimer(RepublishTimer, TopicRepublishTick.Instance, _settings.TopicRepublishInterval);
        if (_state is not null) Publish(_state);   // a new incarnation (failover, restart) heals every view at once
        RequestEvaluation();
    }

    private Dictionary<string, IReadOnlyList<string>> PeerTagsNow() =>
        _membership.Reports(Now()).Where(r => r.Value.Tags != PeerTags.None)
            .ToDictionary(r => r.Key, r => PeerTagNames.Names(r.Value.Tags));

    private void OnStatusReport(NodeProtocol.StatusReport report)
    {
        var node = Sender;
        var newToThisIncarnation = !node.Equals(_membership.NodeOf(report.Peer.Id));
        var changed = _membership.Record(report, node, AddressOf(node), Now());
        if (report.SecretFingerprints is { } fingerprints) _secretFingerprints[report.Peer.Id] = fingerprints;
        _primaryWal.Observe(_state, report);
        if (_writeGaps.Reported(report, Now()) is { } gap)
        {
            (gap.Kind == WriteOutageKind.Failover ? _metrics.Failover : _metrics.SwitchoverWriteGap).Observe(gap.Length.TotalSeconds);
            _log.Info("{0}: {1} takes writes {2:0.###} s after they stopped (state {3}, counted from {4}).",
                gap.Kind, report.Peer.Id, gap.Length.TotalSeconds, gap.Version, gap.From);
            _outageJournal.Tell(gap);
        }
        // The nodes' one backstop (docs/ARCHITECTURE.md, "How the state reaches nodes and subscribers"): a node whose
        // report shows a version behind the current one (the direct tell was lost, it registered after the change, or
        // this coordinator has just taken over) gets the state now, within one report interval. So does a node this
        // incarnation has not heard from (or heard from as another actor): a primary that is up to date has had no
        // heartbeat from this incarnation yet, and must not wait for the next tick to get one.
        if (_state is { } state && (report.AppliedVersion < state.Version || newToThisIncarnation))
            node.Tell(new ClusterStateProtocol.StateChanged(state.Version, state, _incarnation));
        LiftOrphanedFence(report, node);
        MembershipMayHaveChanged(changed);
    }

    /// <summary>
    /// A node that holds a fence raised by another coordinator incarnation (one that died, or lost the singleton,
    /// mid-round) would wait for good for a lift that never comes: a fenced sync never streams again. This coordinator
    /// lifts it in that owner's name, but only with a majority in view: then the other incarnation, if it still runs,
    /// is on a minority side, where it can write no generation that could use the fence.
    /// </summary>
    /// <remarks>
    /// A fence of this incarnation's own is lifted too once its round is over without having written a state, and the
    /// current state (the one it was raised on) does not use it: the
    /// round's lift went to the node as it was then, and a node that restarted in between restored the fence from disk
    /// and never got it. A standby cluster's leader fenced by a refused promote-cluster would otherwise stay fenced,
    /// since no later state supersedes the fence there.
    /// </remarks>
    private void LiftOrphanedFence(NodeProtocol.StatusReport report, IActorRef node)
    {
        if (report is not { Fence: { } fence, FenceOwner: { } owner }) return;
        if (owner.Coordinator == _incarnation)
        {
            // Only a fence raised on the current state, by a round that wrote nothing: a round that wrote a state keeps
            // the fences that state used (IsUnusedByRound), and a newer state supersedes them on the node.
            if (_round?.Raised.Any(r => r.Owner == owner) == true || owner.StateVersion != _state?.Version
                || !fence.IsUnusedBy(report.Peer.Id, _state)) return;
            _log.Warning("{0} still holds fence {1} ({2}) of a round that ended without using it; lifting it again.", report.Peer.Id, fence, owner);
            node.Tell(new NodeProtocol.LiftFence(fence, owner));
            return;
        }
        if (MinorityView() is not null) return;
        _log.Warning("{0} holds fence {1} of another coordinator ({2}); lifting it in that owner's name.", report.Peer.Id, fence, owner);
        node.Tell(new NodeProtocol.LiftFence(fence, owner));
    }

    private void OnNodeDeparted(NodeDeparted departed)
    {
        _log.Info("Node of {0} departed: {1}.", departed.PeerId, departed.Reason);
        MembershipMayHaveChanged(_membership.Depart(departed.PeerId, Now()));
    }

    private void MembershipMayHaveChanged(bool changed)
    {
        if (!changed) return;
        var present = string.Join(", ", _membership.Members(Now()).Select(p => p.Id));
        if (present != _lastPresent)
        {
            _log.Info("Present peers: {0}.", present.Length == 0 ? "none" : present);
            _quietSince = Now();
        }
        _lastPresent = present;
        RequestEvaluation();
    }

    private void OnTick()
    {
        if (_state is not null) TellNodes(_state, _membership.LiveNodes);   // the nodes' lease heartbeat (§11), not through the topic
        // Until every Up database member has reported, some node (a primary among them, after a hand-over) can be
        // reached only through the topic: the heartbeat goes there too meanwhile.
        if (_state is not null && _membership.AwaitingFirstReports()) PublishOnTopic(_state);
        RequestEvaluation();   // also notices report leases that ran out
    }

    private void RequestEvaluation()
    {
        _evaluationWanted = true;
        StartNextRound();
    }

    /// <summary>Starts the next round unless one runs: queued commands first, in order, then a plain evaluation.</summary>
    private void StartNextRound()
    {
        if (_round is not null || !_recovered) return;
        var graceLeft = _settings.StartupGrace - (Now() - _recoveredAt);
        if (graceLeft > TimeSpan.Zero && _membership.AwaitingFirstReports())
        {
            // Just started: let every database member report once before anyone counts as absent.
            Timers.StartSingleTimer(GraceTimer, EvaluationTick.Instance, graceLeft);
            return;
        }
        if (_commands.TryDequeue(out var command))
            _round = new EvaluationRound(command);
        else if (_evaluationWanted)
            _round = new EvaluationRound(null);
        else
            return;
        _evaluationWanted = false;
        Evaluate();
    }

    private void Evaluate()
    {
        var round = _round!;
        var decision = ClusterRules.Evaluate(_state, Observe(round));
        switch (decision)
        {
            case Transition when round.Transitions >= EvaluationRound.MaxTransitions:
                _log.Error("The rules wrote {0} states in one round and still want more; stopping the round. Last state: {1}.", round.Transitions, _state);
                EndRound(decision);
                break;
            case Transition transition when transition.Next.Generation != _state?.Generation && MinorityView() is { } view:
                _log.Warning("Not writing {0} ({1}): this coordinator's view reaches only {2}; a generation changes only with a majority of the database members in view.",
                    transition.Next, transition.Reason, view);
                EndRound(new Refusal(RefusalReason.NoMajority, $"{transition.Reason} waits: the coordinator's view reaches only {view}."));
                break;
            case Transition transition:
                _persistStarted = Stopwatch.GetTimestamp();
                Persist(new ClusterStateProtocol.StateRecorded(transition.Next, transition.Reason, transition.Detail, Now()), OnRecorded);
                break;
            case Refusal { Reason: RefusalReason.NeedsFencedPosition, Probe: { } probe }:
                AskForFence(round, probe, decision);
                break;
            default:
                EndRound(decision);
                break;
        }
    }

    /// <summary>
    /// "R of T database members" when this coordinator's Akka view reaches no majority of the Up database members,
    /// else null. The journal's compare-and-set already stops a coordinator that lost the singleton; this also stops
    /// one that still holds it on the minority side of a partition until the split-brain resolver acts.
    /// </summary>
    private string? MinorityView()
    {
        if (_cluster is null) return null;
        var state = _cluster.State;
        var up = state.Members.Where(m => m.Status == MemberStatus.Up).ToList();
        var database = up.Where(m => m.HasRole(ClusterTopology.DatabaseRole)).ToList();
        var members = database.Count > 0 ? database : up;   // a cluster without roles (tools, tests): every member counts
        var reachable = members.Count(m => !state.Unreachable.Contains(m));
        return members.Count > 0 && reachable * 2 > members.Count ? null : $"{reachable} of {members.Count} database members";
    }

    private ClusterObservation Observe(EvaluationRound round)
    {
        var now = Now();
        var reports = _membership.Reports(now);
        foreach (var failed in round.Failed.Where(reports.ContainsKey))
            reports = reports.SetItem(failed, reports[failed] with { PostgresUp = false });
        return new ClusterObservation
        {
            Members = _membership.Members(now),
            Reports = reports,
            FencedPositions = round.Fenced,
            Mode = _settings.Mode,
            StandbyOf = _settings.StandbyOf,
            Rejoin = _settings.Rejoin,
            ReapReplacedIncarnations = _settings.ShardedPlacement,
            Command = round.Command?.Command,
            NewClusterId = _state is null ? _newClusterId : null,
            Now = now,
            PostgresDownSince = _membership.PostgresDownSince(now),
            ReplaceDownSyncAfter = _settings.ReplaceDownSyncAfter,
            Absent = AbsentRolePeers(now),
            ForcedFailoverHoldDown = _settings.ForcedFailoverHoldDown,
            Coordinator = _settings.RelieveHostAfter is { } after && _cluster is not null
                ? new CoordinatorHost(_membership.PeersWithCoordinator(now), Settled: now - _quietSince >= after)
                : null,
        };
    }

    /// <summary>What is known of absent peers; the primary and sync this coordinator never heard from count from its start.</summary>
    private System.Collections.Immutable.ImmutableDictionary<string, LastSeen> AbsentRolePeers(DateTimeOffset now)
    {
        var absent = _membership.Absent(now);
        var members = _membership.Members(now);
        foreach (var peer in new[] { _state?.Primary, _state?.Sync }.OfType<PeerId>())
            if (!absent.ContainsKey(peer.Id) && !members.Any(m => m.Is(peer)))
                absent = absent.SetItem(peer.Id, new LastSeen(null, _recoveredAt));
        return absent;
    }

    private void OnRecorded(ClusterStateProtocol.StateRecorded recorded)
    {
        _metrics.JournalWrite.Observe(Stopwatch.GetElapsedTime(_persistStarted).TotalSeconds);
        EnsureVersionIsSequenceNumber(recorded.State, LastSequenceNr, "written event");
        var round = _round!;
        WatchWriteGap(_state, recorded, round);
        _state = recorded.State;
        _quietSince = Now();
        _log.Info("State {0} written ({1}): {2}", recorded.State, recorded.Reason, recorded.Detail);
        Publish(recorded.State);
        round.Command?.ReplyTo.Tell(new OperatorProtocol.Accepted(recorded));
        round.Written(recorded.State);
        if (_settings.SnapshotEvery > 0 && LastSequenceNr % _settings.SnapshotEvery == 0)
            SaveSnapshot(new CoordinatorSnapshot(recorded.State));
        Evaluate();
    }

    /// <summary>
    /// Starts measuring a change of primary that <paramref name="recorded"/> makes: a failover counts from when this
    /// coordinator last heard of the lost primary (its last report, or the start of its PostgreSQL being down; without
    /// either, this coordinator's own start: then it moved with the primary, and the figure is a lower bound); a
    /// switchover from the round's first fence, which stops the sync receiving and so every commit.
    /// </summary>
    private void WatchWriteGap(ClusterState? before, ClusterStateProtocol.StateRecorded recorded, EvaluationRound round)
    {
        var kind = WriteGapWatch.KindOf(before, recorded);
        var (since, from) = kind switch
        {
            WriteOutageKind.Failover => AbsentRolePeers(Now()).TryGetValue(before!.Primary.Id, out var seen)
                ? (seen.Since, seen.Report is null ? WriteOutageStart.CoordinatorStart : WriteOutageStart.LastReport)
                : _membership.PostgresDownSince(Now()).TryGetValue(before.Primary.Id, out var down)
                    ? (down, WriteOutageStart.PostgresDown)
                    : (recorded.At, WriteOutageStart.StateWritten),
            WriteOutageKind.Switchover => round.FirstFenceAt is { } fenced ? (fenced, WriteOutageStart.FirstFence) : (recorded.At, WriteOutageStart.StateWritten),
            _ => (recorded.At, WriteOutageStart.StateWritten),
        };
        _writeGaps.Written(recorded.State, kind, since, from);
    }

    private void AskForFence(EvaluationRound round, PositionProbe probe, Decision decision)
    {
        var node = _membership.NodeOf(probe.PeerId);
        if (round.AlreadyAsked(probe) || node is null)
        {
            // The rules asked again for what this lap has, or for a peer with no node: answering cannot help.
            _log.Error("Cannot answer the rules' probe {0} (already asked: {1}; node known: {2}); ending the round.", probe, round.AlreadyAsked(probe), node is not null);
            EndRound(decision);
            return;
        }
        var pending = new PendingProbe(_nextProbeId++, probe);
        var owner = new FenceOwner(_incarnation, _state?.Version ?? 0, pending.ProbeId);
        round.Asked(pending, node, owner, Now());
        node.Tell(new NodeProtocol.RaiseFence(pending.ProbeId, probe.Fence, owner));
        Timers.StartSingleTimer(ProbeTimer, new ProbeTimedOut(pending.ProbeId), _settings.ProbeTimeout);
    }

    private void OnFenceRaised(NodeProtocol.FenceRaised answer)
    {
        if (PendingProbe(answer.ProbeId) is not { } pending) return;
        if (pending.Probe.PeerId != answer.PeerId)
        {
            OnProbeUnanswered(answer.ProbeId, $"the answer came from {answer.PeerId}, not from {pending.Probe.PeerId}");
            return;
        }
        if (answer.History is not { } history)
        {
            // A position without its history cannot be compared safely (a forked WAL can be as long as any other).
            OnProbeUnanswered(answer.ProbeId, $"{answer.PeerId} answered without its timeline history");
            return;
        }
        Timers.Cancel(ProbeTimer);
        _round!.Answered(answer.Position, history, answer.Received);
        Evaluate();
    }

    private void OnProbeUnanswered(long probeId, string why)
    {
        if (PendingProbe(probeId) is not { } pending) return;
        _log.Warning("Probe {0} ({1}) failed: {2}; {3} counts as down for this round.", probeId, pending.Probe, why, pending.Probe.PeerId);
        Timers.Cancel(ProbeTimer);
        _round!.Unanswered();
        Evaluate();
    }

    /// <summary>The probe this answer is for, or null for a late or foreign answer (ignored: its fence is lifted with its round).</summary>
    private PendingProbe? PendingProbe(long probeId)
    {
        if (_round?.Pending is { } pending && pending.ProbeId == probeId) return pending;
        _log.Debug("Ignoring an answer to probe {0}, which is not pending.", probeId);
        return null;
    }

    private void EndRound(Decision rest)
    {
        var round = _round!;
        _round = null;
        _metrics.Evaluation.Observe(Stopwatch.GetElapsedTime(round.StartedAt).TotalSeconds);
        if (round.Raised.Count > 0) _quietSince = Now();   // a fenced attempt that came to nothing is not retried at once
        if (round.Command is { } command)
        {
            // The command was not written: a refusal, answered whole. It says nothing about the cluster's health,
            // so the last refusal stays as the last automatic evaluation left it.
            var refusal = rest as Refusal ?? new Refusal(RefusalReason.InvalidRequest, "The rules made no change for this command.");
            command.ReplyTo.Tell(new OperatorProtocol.Refused(refusal.Reason, refusal.Detail));
        }
        else
        {
            if (rest is Refusal refusal && refusal != _lastRefusal)
                _log.Warning("Not changing the state: {0}: {1}", refusal.Reason, refusal.Detail);
            _lastRefusal = rest as Refusal;
            var deferred = (rest as NoChange)?.Deferred;
            if (deferred is not null && deferred != _lastDeferred) _log.Info("Planned change deferred: {0}.", deferred);
            _lastDeferred = deferred;
        }
        foreach (var raised in round.Raised.Where(r => r.Fence.IsUnusedByRound(r.PeerId, _state, round.WrittenStates)))
            raised.Node.Tell(new NodeProtocol.LiftFence(raised.Fence, raised.Owner));
        StartNextRound();
    }

    private void Publish(ClusterState state)
    {
        PublishOnTopic(state);
        TellNodes(state, _membership.Nodes);
    }

    /// <summary>Tells the state to node actors that reported to this incarnation: the nodes' one path.</summary>
    private void TellNodes(ClusterState state, IEnumerable<IActorRef> nodes)
    {
        var changed = new ClusterStateProtocol.StateChanged(state.Version, state, _incarnation);
        foreach (var node in nodes) node.Tell(changed);
    }

    private void PublishOnTopic(ClusterState state) =>
        _mediator.Tell(new Publish(ClusterStateProtocol.Topic, new ClusterStateProtocol.StateChanged(state.Version, state, _incarnation)));

    private void AnswerHistory(ClusterStateProtocol.GetHistory ask, IActorRef replyTo) =>
        HistoryPages.ReadAsync(Context.System, _settings.QueryPluginId, ask, Materializer())
            .PipeTo(replyTo, failure: e => new Status.Failure(e));

    private ActorMaterializer Materializer() => _materializer ??= Context.Materializer();

    private void AnswerOutages(WriteOutageProtocol.GetOutages ask, IActorRef replyTo) =>
        WriteOutagePages.ReadAsync(Context.System, _settings.QueryPluginId, ask, Materializer())
            .PipeTo(replyTo, failure: e => new Status.Failure(e));

    private Address AddressOf(IActorRef node)
    {
        var address = node.Path.Address;
        // A node actor in this process has a local address; the cluster knows this process by its self address.
        return address.HasLocalScope && _cluster is not null ? _cluster.SelfAddress : address;
    }

    private DateTimeOffset Now() => _settings.Clock();

    private static void EnsureVersionIsSequenceNumber(ClusterState state, long sequenceNr, string what)
    {
        if (state.Version != sequenceNr)
            throw new InvalidOperationException(
                $"The {what} holds state version {state.Version} at journal sequence number {sequenceNr}; they must be equal, " +
                "or the journal's compare-and-set no longer guards the version. Refusing to go on.");
    }
}
