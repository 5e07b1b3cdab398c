using Akka.Actor;
using Akka.Cluster.Tools.PublishSubscribe;
using Akka.Event;
using Akka.Pattern;
using Appliance.Actors.Instance;
using Appliance.Actors.Node.Roles;
using Appliance.Actors.Protocol;
using Appliance.Nodes.State;
using static Appliance.Actors.Node.DatabaseNodeMessages;

namespace Appliance.Actors.Node;

/// <summary>
/// Supervises one PostgreSQL instance. It keeps the newest cluster state it has seen, derives its role from it, and
/// runs one role actor (<see cref="PrimaryRole"/>, <see cref="SyncRole"/>, <see cref="AsyncRole"/>,
/// <see cref="UnassignedRole"/> or <see cref="DeposedRole"/>) that makes PostgreSQL match. It reports its status to
/// the coordinator on a timer and on every change, raises and lifts fences when the coordinator asks, and fences
/// itself when, as primary, it has heard nothing from the coordinator for the configured lease.
/// </summary>
/// <remarks>
/// A new role replaces the old one only when the peer's part in the state changes (role, upstream, downstream, or
/// singleton mode); the old role actor stops first, which cancels its work, and the driver serialises what was
/// already running. While a fence is up no role actor runs, so nothing can undo the fence before the coordinator
/// decides.
/// <para>The state of each concern besides role supervision lives in a helper the actor owns: the coordinator lease
/// (<see cref="LeaseWatch"/>), the fence (<see cref="FenceHold"/>), the lineage played (<see cref="LineageKeeper"/>) and
/// what it reads and hears for its reports (<see cref="NodeReadings"/>). They hold state and ask the pure rules; the
/// actor moves the messages and runs the effects, in the order the rules need. Every time it reads comes from
/// <see cref="DatabaseNodeSettings.Clock"/>.</para>
/// </remarks>
public sealed partial class DatabaseNodeActor : ReceiveActor, IWithTimers
{
    private readonly IDatabaseInstance _instance;
    private readonly IActorRef _coordinator;
    private readonly IActorRef? _mediator;
    private readonly DatabaseNodeSettings _options;
    private readonly RejoinPolicy _rejoin;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly Akka.Cluster.Cluster? _cluster;   // null when the system is not clustered (tests of one node)
    private readonly LeaseWatch _leaseWatch;
    private readonly FenceHold _fences;
    private readonly LineageKeeper _lineage;
    private readonly NodeReadings _readings = new();
    private readonly SelfFenceAttempts _selfFenceAttempts;

    private ClusterState? _state;
    private RoleKey? _roleKey;
    private IActorRef? _roleActor;
    private long _token;
    private PeerRole _appliedRole = PeerRole.Unassigned;
    private long _appliedVersion;
    private bool _readWrite;
    private bool _readyToRejoin;
    private RejoinTarget? _rewoundOnto;
    private Task _admission = Task.CompletedTask;   // the pg_hba rewrites run one after another, in state order
    private string? _stateRefused;
    private (Task Exit, long Token)? _watchedPostmaster;

    /// <summary>Creates the node actor.</summary>
    /// <param name="instance">The PostgreSQL instance it supervises.</param>
    /// <param name="coordinator">The coordinator (in a cluster: the singleton proxy).</param>
    /// <param name="mediator">The distributed pub-sub mediator to subscribe with, or null when the coordinator sends directly.</param>
    /// <param name="options">Timings.</param>
    /// <param name="rejoin">The policy for a deposed peer.</param>
    public DatabaseNodeActor(IDatabaseInstance instance, IActorRef coordinator, IActorRef? mediator, DatabaseNodeSettings options, RejoinPolicy rejoin)
    {
        _instance = instance;
        _coordinator = coordinator;
        _mediator = mediator;
        _options = options;
        _rejoin = rejoin;
        _leaseWatch = new LeaseWatch(options.Clock, options.CoordinatorLease);   // the lease runs from the start, before any contact
        _fences = new FenceHold(instance.Fences);
        _selfFenceAttempts = new SelfFenceAttempts(options.Clock, options.MinRetryBackoff, options.MaxRetryBackoff, options.CoordinatorLease);
        _lineage = new LineageKeeper(instance.Lineage, instance.Peer.Id, _log);
        if (((ExtendedActorSystem)Context.System).Provider is Akka.Cluster.ClusterActorRefProvider)
            _cluster = Akka.Cluster.Cluster.Get(Context.System);

        // One path and one backstop (docs/ARCHITECTURE.md, "How the state reaches nodes and subscribers"): the
        // coordinator tells every new state to each node it knows, and again on every tick as the lease heartbeat
        // (§11); it answers a report whose applied version is behind with the state.
        Receive<ClusterStateProtocol.StateChanged>(changed => Adopt(changed.State));
        Receive<SubscribeAck>(_ => { });

        Receive<RoleProtocol.Applied>(m => m.Token == _token, OnApplied);
        Receive<RoleProtocol.ReadyToRejoin>(m => m.Token == _token, m =>
        {
            _log.Info("{0} is on {1}'s timeline {2} for generation {3} ({4}); ready to rejoin", _instance.Peer.Id, m.Target.Primary,
                m.Target.Timeline, m.Target.Generation, m.Outcome.Method);
            _readyToRejoin = true;
            _rewoundOnto = m.Target;
            _readings.TroubleOver();   // what it waited for is over
            Report();
        });
        Receive<RoleProtocol.CloneProgress>(m => m.Token == _token, m => _readings.CloneProgressed(m.Progress));
        Receive<RoleProtocol.Waiting>(m => m.Token == _token, m =>
        {
            _readings.Trouble(m.Why);
            _log.Info("{0}: role {1} is {2}", _instance.Peer.Id, _roleKey?.Role.ToString() ?? "-", m.Why);
        });
        Receive<RoleProtocol.Resumed>(m => m.Token == _token, _ => _readings.TroubleOver());
        Receive<RoleProtocol.Failed>(m => m.Token == _token, m =>
        {
            _readings.Trouble(m.Error);
            _log.Warning("{0}: role {1} failed, retrying with backoff: {2}", _instance.Peer.Id, _roleKey?.Role.ToString() ?? "-", m.Error);
        });
        Receive<RoleProtocol.Applied>(_ => { });        // from a replaced role actor
        Receive<RoleProtocol.ReadyToRejoin>(_ => { });
        Receive<RoleProtocol.CloneProgress>(_ => { });
        Receive<RoleProtocol.Waiting>(_ => { });
        Receive<RoleProtocol.Resumed>(_ => { });
        Receive<RoleProtocol.Failed>(_ => { });

        // A stop the driver was asked for (a role's own restart, such as a standby cloned afresh) is no crash.
        Receive<PostmasterExited>(m => m.Token == _token && !m.Exit.Requested, m =>
        {
            _log.Warning("{0}: PostgreSQL (pid {1}) exited on its own with code {2}; restarting the role", _instance.Peer.Id, m.Exit.Pid, m.Exit.ExitCode);
            _readWrite = false;
            Report();
            Timers.StartSingleTimer(RestartRole.Instance, RestartRole.Instance, _options.MinRetryBackoff);
        });
        Receive<PostmasterExited>(_ => { });
        Receive<RestartRole>(_ => StartRole(force: true));

        Receive<ReportTick>(_ => ReadStatus());
        Receive<StatusRead>(read =>
        {
            if (_readings.StatusRead(read.Status, _instance.IsRunning)) Report();
        });

        Receive<PeersAdmitted>(admitted =>
        {
            if (admitted.Error is not null)
            {
                _log.Warning("{0}: could not admit the peers of state v{1} to PostgreSQL (pg_hba.conf): {2}; retrying",
                    _instance.Peer.Id, admitted.Version, admitted.Error);
                Timers.StartSingleTimer(AdmitRetry.Instance, AdmitRetry.Instance, _options.MaxRetryBackoff);
            }
            else if (admitted.Changed)
                _log.Info("{0}: pg_hba.conf rewritten for the peers of state v{1} (and reloaded, if PostgreSQL runs)", _instance.Peer.Id, admitted.Version);
        });
        Receive<AdmitRetry>(_ => AdmitPeers());

        Receive<NodeProtocol.RaiseFence>(RaiseFence);
        Receive<FenceOutcome>(FenceDone);
        Receive<NodeProtocol.LiftFence>(lift =>
        {
            // A lift takes down only the raise it answers: a late lift from an earlier probe, or from a coordinator that
            // has been replaced, must not lift a fence a later round still relies on.
            if (!_fences.IsLiftedBy(lift)) return;
            _log.Info("{0}: fence {1} lifted by its owner ({2})", _instance.Peer.Id, lift.Fence, lift.Owner?.ToString() ?? "no owner");
            ClearFence();
            StartRole(force: true);
        });

        Receive<RoleChangeHookDone>(done =>
        {
            if (done.Outcome.TimedOut)
                _log.Warning("{0}: --on-role-change ({1} -> {2}) ran past {3} s and was killed", _instance.Peer.Id, done.Old, done.New, _options.OnRoleChange?.Timeout.TotalSeconds);
            else if (done.Outcome.Error is { } error)
                _log.Warning("{0}: --on-role-change ({1} -> {2}) could not start: {3}", _instance.Peer.Id, done.Old, done.New, error);
            else
                _log.Info("{0}: --on-role-change ({1} -> {2}) exited with code {3}", _instance.Peer.Id, done.Old, done.New, done.Outcome.ExitCode);
        });

        Receive<LeaseTick>(_ => CheckLease());
        Receive<SelfFenced>(done =>
        {
            if (done.Error is null)
            {
                _selfFenceAttempts.Over();
                return;
            }
            if (!_leaseWatch.SelfFenced)
            {
                _log.Warning("{0}: a self-fence that failed ({1}) ended after the coordinator was back; the role has taken over", _instance.Peer.Id, done.Error);
                return;
            }
            // PostgreSQL may still take writes: try again, and stop it if it cannot be made read-only (SelfFenceAttempts).
            var next = _selfFenceAttempts.Failed(done.Error);
            if (next.NewError)
                _log.Error("{0}: self-fencing failed, retrying with backoff{1}: {2}", _instance.Peer.Id,
                    next.Stop ? " by stopping PostgreSQL" : "", done.Error);
            Timers.StartSingleTimer(nameof(SelfFenceRetry), new SelfFenceRetry(next.Stop), next.RetryIn);
        });
        Receive<SelfFenceRetry>(retry =>
        {
            if (!_leaseWatch.SelfFenced) return;
            if (!retry.Stop)
            {
                SelfFence();
                return;
            }
            _log.Error("{0}: stopping PostgreSQL: it could not be made read-only for {1} s after its lease ran out", _instance.Peer.Id,
                _options.CoordinatorLease.TotalSeconds);
            PipeSelfFenced(_instance.StopAsync(CancellationToken.None));
        });

        ReceiveSettingsAndCommands();

        Receive<GetNodeSnapshot>(_ => Sender.Tell(new NodeSnapshot(_instance.Peer, _state, _appliedRole, _appliedVersion, _readWrite,
            _leaseWatch.SelfFenced, _readings.Status, _readings.LastError, _readings.Clone, _stateRefused)));
    }

    /// <summary>Props for the actor.</summary>
    public static Props Props(IDatabaseInstance instance, IActorRef coordinator, IActorRef? mediator, DatabaseNodeSettings options, RejoinPolicy rejoin) =>
        Akka.Actor.Props.Create(() => new DatabaseNodeActor(instance, coordinator, mediator, options, rejoin));

    /// <inheritdoc />
    public ITimerScheduler Timers { get; set; } = null!;

    /// <inheritdoc />
    protected override void PreStart()
    {
        RestoreFence();
        _lineage.Load();   // a one-off read of a small local file, before the first message
        // A coordinator of this version tells every state, and its tick's heartbeat, to this actor directly once it has
        // had a report from it; before that (a new incarnation) it can reach this actor only through the topic. A
        // coordinator of an older version, during a rolling upgrade, renews the lease through the topic alone.
        _mediator?.Tell(new Subscribe(ClusterStateProtocol.Topic, Self));
        SubscribeToCommands();
        // No request for the state: the first report goes out now, and the coordinator answers a report of applied
        // version 0 (or any version behind its own) with the current state.
        Timers.StartPeriodicTimer(ReportTick.Instance, ReportTick.Instance, TimeSpan.Zero, _options.ReportInterval);
        Timers.StartPeriodicTimer(LeaseTick.Instance, LeaseTick.Instance, _options.CoordinatorLease / 4);
    }

    /// <summary>
    /// A role actor that throws (a bug, not a PostgreSQL failure, which it reports and retries itself) is restarted,
    /// and so tries its role again; the role is never dropped.
    /// </summary>
    protected override SupervisorStrategy SupervisorStrategy() => new OneForOneStrategy(_ => Directive.Restart);

    private void Contact() => _leaseWatch.Contact();

    /// <summary>
    /// The state, not this node's <c>--standby-of</c>, says whether the cluster follows a source, so a difference changes
    /// nothing here; it is said once per change, since it usually means a flag left behind after promote-cluster or a
    /// node pointed at the wrong cluster.
    /// </summary>
    private void WarnOfStandbyMismatch(ClusterState? previous, ClusterState state)
    {
        if (StandbySource.Same(state.StandbyOf, _options.StandbyOf) || (previous is not null && previous.StandbyOf == state.StandbyOf)) return;
        _log.Warning("{0}: this node was started with {1}, but the cluster state v{2} {3}; the state decides. {4}",
            _instance.Peer.Id, _options.StandbyOf is { } own ? own.Flag : "no --standby-of", state.Version,
            state.StandbyOf is { } source ? $"follows {source}" : "is a normal, writable cluster",
            _options.StandbyOf is { } given && state.StandbyOf is null
                ? $"Drop {given.FlagName} from this node's flags or config file before its next restart."
                : $"Give this node the cluster's {state.StandbyOf?.FlagName ?? "--standby-of"}.");
    }

    private void Adopt(ClusterState state)
    {
        // Only a state at least as new as the one held renews the lease: a stale coordinator (one that lost the
        // singleton but still runs, say after a pause) republishing an older state must not keep a primary writable.
        if (_state is not null && state.Version < _state.Version) return;
        if (_lineage.Refusal(state) is { } refused)
        {
            // Neither played nor counted as contact: an old or foreign lineage must not keep a primary writable either.
            if (refused != _stateRefused) _log.Error("{0}: refusing state v{1}: {2}", _instance.Peer.Id, state.Version, refused);
            _stateRefused = refused;
            return;
        }
        _stateRefused = null;
        _lineage.Remember(state);
        Contact();
        if (_leaseWatch.MayServeAgain(View))
        {
            _log.Info("{0}: the coordinator is back and {1}; leaving self-fencing", _instance.Peer.Id, View());
            _leaseWatch.ServeAgain();
            _selfFenceAttempts.Over();
            Timers.Cancel(nameof(SelfFenceRetry));
            StartRole(force: true);
        }
        if (_state is not null && state.Version == _state.Version) return;   // pub-sub is at most once and unordered

        var previous = _state;
        _state = state;
        WarnOfStandbyMismatch(previous, state);
        AdmitPeers();
        ApplySettings();
        var assignment = state.RoleOf(_instance.Peer.Id);
        // Readiness holds only for the primary and generation it was reached in; a deposed role rejoins again (cheaply
        // when it is already on the history) for a new one, since the role key alone would not restart it.
        var rejoinStale = previous is not null && (!previous.Primary.Is(state.Primary.Id) || previous.Generation != state.Generation);
        if (!state.IsDeposed(_instance.Peer.Id) || rejoinStale) ClearReadiness();
        _log.Info($"{_instance.Peer.Id}: state v{state.Version} generation {state.Generation}: role {assignment.Role} " +
                  $"(upstream {assignment.Upstream?.Id ?? "-"}, downstream {assignment.Downstream?.Id ?? "-"}) [{state.ToShortString()}]");
        if (_fences.IsSupersededBy(state.Version))
        {
            _log.Info("{0}: new state v{1} supersedes fence {2}", _instance.Peer.Id, state.Version, _fences.Fence);
            ClearFence();
            StartRole(force: true);
            return;
        }
        StartRole(force: previous is null || (rejoinStale && assignment.Role == PeerRole.Deposed));
    }

    /// <summary>
    /// Has PostgreSQL admit the peers the newest state names (pg_hba.conf, reloaded, never restarted), whatever this peer's
    /// role, fence or lease: a peer the state adds must be able to clone and stream. The rewrites run one after another in
    /// state order, so an older state's hosts never land last; a failed one is retried with the newest state.
    /// </summary>
    private void AdmitPeers()
    {
        if (_state is not { } state) return;
        var instance = _instance;
        var admission = _admission.ContinueWith(_ => instance.AdmitPeersAsync(state, CancellationToken.None), TaskScheduler.Default).Unwrap();
        _admission = admission;
        admission.PipeTo(Self, success: changed => new PeersAdmitted(state.Version, changed, null),
            failure: e => new PeersAdmitted(state.Version, false, e.GetBaseException().Message));
    }

    private void ClearReadiness()
    {
        _readyToRejoin = false;
        _rewoundOnto = null;
    }

    private void StartRole(bool force)
    {
        if (_state is null || _fences.Fence is not null || _leaseWatch.SelfFenced || _restarting) return;
        var assignment = _state.RoleOf(_instance.Peer.Id);
        var key = RoleKey.Of(_state, assignment);
        if (!force && key == _roleKey && _roleActor is not null)
        {
            // Same part in a newer state: what runs already applies it.
            if (_appliedRole == assignment.Role) _appliedVersion = _state.Version;
            return;
        }

        StopRole();
        _roleKey = key;
        _token++;
        _readings.RoleSettled();
        if (assignment.Role == PeerRole.Deposed) ClearReadiness();   // a new deposed role has rewound nothing yet
        var context = new RoleContext(_token, _instance, _state, assignment, Self, _options, _rejoin);
        var props = assignment.Role switch
        {
            PeerRole.Primary when _state.IsStandbyCluster => StandbyLeaderRole.Props(context),
            PeerRole.Primary => PrimaryRole.Props(context),
            PeerRole.Sync => SyncRole.Props(context),
            PeerRole.Async => AsyncRole.Props(context),
            PeerRole.Deposed => DeposedRole.Props(context),
            PeerRole.Maintenance => MaintenanceRole.Props(context),
            _ => UnassignedRole.Props(context),
        };
        var supervised = BackoffSupervisor.Props(
            Backoff.OnStop(props, $"{assignment.Role.ToString().ToLowerInvariant()}", _options.MinRetryBackoff, _options.MaxRetryBackoff,
                randomFactor: 0.2, maxNrOfRetries: -1));
        _roleActor = Context.ActorOf(supervised, $"role-{_token}");
    }

    private void StopRole()
    {
        if (_roleActor is not null) Context.Stop(_roleActor);
        _roleActor = null;
        _roleKey = null;
        _readWrite = false;
    }

    private void OnApplied(RoleProtocol.Applied applied)
    {
        var changed = applied.Role != _appliedRole || applied.ReadWrite != _readWrite || _appliedVersion != _state!.Version;
        var previousRole = _appliedRole;
        _appliedRole = applied.Role;
        _appliedVersion = _state!.Version;
        _readWrite = applied.ReadWrite;
        _readings.RoleSettled();
        if (changed)
            _log.Info("{0}: role {1} applied for state v{2}{3}", _instance.Peer.Id, applied.Role, _appliedVersion, applied.ReadWrite ? ", taking writes" : "");
        if (applied.Role != previousRole) RunRoleChangeHook(applied.Role, previousRole);
        WatchPostmaster();
        ReadStatus();
    }

    /// <summary>
    /// Has the running postmaster's exit come back as a message for the current role: once per postmaster and role,
    /// although a role reports itself applied many times (every reconcile), so that one exit is one message.
    /// </summary>
    private void WatchPostmaster()
    {
        if (_instance.Exited is not { } exited || _watchedPostmaster == (exited, _token)) return;
        var token = _token;
        _watchedPostmaster = (exited, token);
        exited.PipeTo(Self, success: exit => new PostmasterExited(token, exit));
    }

    /// <summary>Runs the operator's hook in the background; its outcome comes back as a message and is only logged.</summary>
    private void RunRoleChangeHook(PeerRole role, PeerRole previous)
    {
        if (_options.OnRoleChange is not { } hook) return;
        hook.RunAsync(_instance.Peer.Id, role, previous, _state?.Generation ?? 0)
            .PipeTo(Self, success: outcome => new RoleChangeHookDone(role, previous, outcome));
    }

    private void ReadStatus() =>
        _instance.ReadStatusAsync(CancellationToken.None).PipeTo(Self, success: s => new StatusRead(s), failure: _ => new StatusRead(null));

    private void Report()
    {
        var report = new PeerReport(
            PostgresUp: _readings.Status is not null,
            Wal: _readings.Status?.AppliedPosition ?? Lsn.Zero,
            HasExistingData: _instance.HasData,
            ReadyToRejoin: _readyToRejoin,
            History: _readings.Status?.History,
            RewoundOnto: _readyToRejoin ? _rewoundOnto : null,
            Tags: _options.Tags,
            StandbyOf: _options.StandbyOf);
        _coordinator.Tell(new NodeProtocol.StatusReport(_instance.Peer, report, _appliedVersion, _appliedRole, _readWrite && !_leaseWatch.SelfFenced,
            _fences.Fence, _fences.Owner, _instance.SecretFingerprints));
    }

    private void RaiseFence(NodeProtocol.RaiseFence raise)
    {
        var replyTo = Sender;
        if (raise.Owner is { } raiser && _fences.Owner is { } holder && raiser.Coordinator != holder.Coordinator
            && raiser.StateVersion <= holder.StateVersion)
        {
            // Two coordinators deciding on the same state: replacing the first one's fence, then taking this one down,
            // would leave the first one's round without the fence it read its position behind (the spin model's finding).
            _log.Warning("{0}: refusing fence {1} from {2}: fence {3} of {4} is up", _instance.Peer.Id, raise.Fence, raiser, _fences.Fence, holder);
            replyTo.Tell(new NodeProtocol.FenceFailed(raise.ProbeId, _instance.Peer.Id, $"fence {_fences.Fence} of {holder} is up"));
            return;
        }
        if (raise.Owner is { } owner && _state is not null && owner.StateVersion < _state.Version)
        {
            // A coordinator deciding on an older state than this node holds has been overtaken: its decision is void.
            _log.Warning("{0}: refusing fence {1} from {2}: this node holds state v{3}", _instance.Peer.Id, raise.Fence, owner, _state.Version);
            replyTo.Tell(new NodeProtocol.FenceFailed(raise.ProbeId, _instance.Peer.Id,
                $"the fence was raised for state v{owner.StateVersion}, but {_instance.Peer.Id} holds v{_state.Version}"));
            return;
        }
        _log.Info("{0}: raising fence {1} ({2})", _instance.Peer.Id, raise.Fence, raise.Owner?.ToString() ?? $"probe {raise.ProbeId}");
        StopRole();
        SaveThenRaise(_fences.HoldAsync(raise.Fence, raise.Owner, CancellationToken.None), raise.Fence).PipeTo(Self,
            success: fenced => new FenceOutcome(replyTo, raise.ProbeId, raise.Fence, fenced, null),
            failure: e => new FenceOutcome(replyTo, raise.ProbeId, raise.Fence, null, e.Message));
    }

    /// <summary>Raises the fence in PostgreSQL once it is <paramref name="saved"/> on disk (<see cref="FenceHold.HoldAsync"/>).</summary>
    private async Task<FenceReading> SaveThenRaise(Task saved, WalFence fence)
    {
        await saved.ConfigureAwait(false);
        return fence switch
        {
            WalFence.StopReceiving => await _instance.StopReceivingAsync(CancellationToken.None).ConfigureAwait(false),
            WalFence.NameSync name => await _instance.NameSyncAsync(name.PeerId, CancellationToken.None).ConfigureAwait(false),
            _ => throw new ArgumentOutOfRangeException(nameof(fence), fence, "unknown fence"),
        };
    }

    private void FenceDone(FenceOutcome outcome)
    {
        if (outcome.Position is { } fenced)
        {
            _log.Info("{0}: fence {1} up at {2} on {3}", _instance.Peer.Id, outcome.Fence, fenced.Position,
                fenced.History?.ToString() ?? "an unknown history");
            outcome.ReplyTo.Tell(new NodeProtocol.FenceRaised(outcome.ProbeId, _instance.Peer.Id, fenced.Position, fenced.History, fenced.Received));
            return;
        }
        _log.Warning("{0}: fence {1} failed: {2}", _instance.Peer.Id, outcome.Fence, outcome.Error);
        outcome.ReplyTo.Tell(new NodeProtocol.FenceFailed(outcome.ProbeId, _instance.Peer.Id, outcome.Error ?? "unknown"));
        if (_fences.Fence == outcome.Fence)
        {
            ClearFence();
            StartRole(force: true);
        }
    }

    /// <summary>Restores a fence kept on disk before any role runs (the role would otherwise undo it).</summary>
    private void RestoreFence()
    {
        // A one-off read of a small local file at start-up, before the first message.
        if (!_fences.Restore()) return;
        _log.Warning("{0}: restored fence {1} ({2}) kept across a restart; no role runs until its owner lifts it or a newer state arrives",
            _instance.Peer.Id, _fences.Fence, _fences.Owner);
    }

    private void ClearFence()
    {
        try
        {
            _fences.Clear();
        }
        catch (IOException e)
        {
            _log.Error("{0}: could not remove the fence file: {1}", _instance.Peer.Id, e.Message);
        }
    }

    private void CheckLease()
    {
        // A standby leader takes no writes, so it has none to fence: it goes on following its source.
        var applies = _state is not null && !_state.Singleton && !_state.IsStandbyCluster && _appliedRole == PeerRole.Primary;
        if (_leaseWatch.Check(applies, View) is not { } why) return;
        _log.Warning("{0}: primary fencing itself: {1}", _instance.Peer.Id, why);
        StopRole();
        SelfFence();
        Report();
    }

    private void SelfFence() => PipeSelfFenced(_instance.SelfFenceAsync(CancellationToken.None));

    /// <summary>Brings the end of a self-fence (making PostgreSQL read-only, or stopping it) back as <see cref="SelfFenced"/>.</summary>
    private void PipeSelfFenced(Task fencing) =>
        fencing.PipeTo(Self, success: () => new SelfFenced(null), failure: e => new SelfFenced(e.GetBaseException().Message));

    /// <summary>The database members this node's cluster view shows, and how many it reaches.</summary>
    private MajorityView View()
    {
        if (_cluster is null) return default;
        var state = _cluster.State;
        var members = state.Members.Where(m => m.Status == Akka.Cluster.MemberStatus.Up && m.HasRole(ClusterTopology.DatabaseRole)).ToList();
        var unreachable = members.Count(m => state.Unreachable.Contains(m));
        return new MajorityView(members.Count - unreachable, members.Count);
    }

    /// <summary>The parts of a state that decide what a role actor does; a change restarts it.</summary>
    private sealed record RoleKey(PeerRole Role, string? Upstream, string? Downstream, bool Singleton, string? RejoinSource, string? StandbyOf)
    {
        public static RoleKey Of(ClusterState state, RoleAssignment a) => new(
            a.Role, a.Upstream?.ToString(), a.Downstream?.ToString(), state.Singleton,
            a.Role == PeerRole.Deposed ? state.Primary.ToString() : null, state.StandbyOf?.ToString());
    }
}
