using System.Diagnostics;
using Akka.Actor;
using Akka.Event;
using Appliance.Nodes.Postgres;
using Appliance.Nodes.State;

namespace Appliance.Actors.Node.Roles;

/// <summary>
/// Makes the instance a standby of its upstream: cloned if empty, rewound first if it was a primary, re-pointed by a
/// reload if it already streams. PostgreSQL configures a sync and an async alike; what makes a sync synchronous is
/// its primary's <c>synchronous_standby_names</c>.
/// </summary>
/// <remarks>
/// Once applied, the role watches that the standby streams (<see cref="StandbyStall"/>): a standby whose upstream no
/// longer holds the WAL it needs would otherwise wait for ever (BENCHMARKS finding 10), and is cloned afresh from it;
/// one that has forked off its upstream's history since the role started is rewound onto it.
/// </remarks>
public abstract class StandbyRole : RoleActor, IWithTimers
{
    private long _stalledSince = Stopwatch.GetTimestamp();
    private Lsn _lastPosition;
    private bool _reading;   // a check in flight: the next tick does not start another
    private bool _cloning;   // a fresh clone or rewind in flight: a check still in the mailbox must not start a second one
    private TimeSpan _rewindPatience = TimeSpan.Zero;   // beyond the stall rule's own patience; grows after a rewind that found nothing

    /// <summary>Creates the role for <paramref name="context"/>.</summary>
    protected StandbyRole(RoleContext context) : base(context)
    {
        Receive<CheckStall>(_ =>
        {
            if (_reading || _cloning) return;
            _reading = true;
            Role.Instance.ReadStallAsync(Upstream, Stopping)
                .PipeTo(Self, success: reading => new StallRead(reading), failure: _ => new StallRead(null));
        });
        Receive<StallRead>(read =>
        {
            _reading = false;
            if (!_cloning) OnStallRead(read.Reading);
        });
        Receive<Repaired>(repaired =>
        {
            _cloning = false;
            // A rewind that found nothing (stopped, the data directory was on the upstream's history after all: a
            // lagging read of its timeline) doubles the wait before the next, so a misread cannot restart it every 30 s.
            if (repaired.NothingDone)
                _rewindPatience = TimeSpan.FromTicks(Math.Min(Math.Max(_rewindPatience.Ticks * 2, 2 * Role.Options.StandbyStallPatience.Ticks),
                    TimeSpan.FromMinutes(30).Ticks));
            Log.Info("{0} {1} {2} and follows it again", Role.Instance.Peer.Id, repaired.How, Upstream.Id);
            ReportResumed();
            Report(new RoleProtocol.Applied(Role.Token, Role.Assignment.Role, ReadWrite: false));
            Watch();
        });
    }

    /// <inheritdoc />
    public ITimerScheduler Timers { get; set; } = null!;

    private PeerId Upstream => Role.Assignment.Upstream!;

    /// <inheritdoc />
    protected override void OnReconciled() => Watch();

    private void Watch()
    {
        _stalledSince = Stopwatch.GetTimestamp();
        _lastPosition = default;
        Timers.StartPeriodicTimer(CheckStall.Instance, CheckStall.Instance, Role.Options.StandbyStallCheckInterval);
    }

    private void OnStallRead(StallReading? reading)
    {
        if (reading is null) return;   // PostgreSQL does not answer: the node sees that, and the role is restarted
        if (reading.Own.Streaming || reading.Own.Position != _lastPosition)
        {
            _stalledSince = Stopwatch.GetTimestamp();
            _lastPosition = reading.Own.Position;
        }
        var stalledFor = Stopwatch.GetElapsedTime(_stalledSince);
        switch (StandbyStall.Decide(Upstream, reading, stalledFor, Role.Options.StandbyStallPatience))
        {
            case StallVerdict.Streaming:
                ReportResumed();
                break;
            case StallVerdict.Wait wait when stalledFor >= Role.Options.StandbyStallCheckInterval:
                // Not at the first look: a standby that has just started, or whose upstream has just changed, streams soon.
                ReportWaiting(wait.Why);
                break;
            case StallVerdict.CloneAfresh clone:
                BeginRepair("cloning afresh from", clone.Why);
                PipeWork(Role.Instance.CloneAfreshAsync(Upstream, Role.Assignment.Downstream, CloneProgress(), Stopping),
                    () => new Repaired("cloned afresh from"));
                break;
            case StallVerdict.Rewind rewind when stalledFor >= _rewindPatience:
                BeginRepair("rewinding onto", rewind.Why);
                PipeWork(Role.Instance.RewindForkedAsync(Upstream, Role.Assignment.Downstream, CloneProgress(), Stopping),
                    outcome => outcome is null ? new Repaired("found nothing to rewind onto", NothingDone: true) : new Repaired("rewound onto"));
                break;
            case StallVerdict.Rewind rewind:
                ReportWaiting($"{rewind.Why}; rewinding once it has not streamed for {_rewindPatience.TotalSeconds:0} s");
                break;
        }
    }

    /// <summary>Stops the stall checks while a repair runs, and says so; <see cref="Repaired"/> starts them again.</summary>
    private void BeginRepair(string doing, string why)
    {
        _cloning = true;
        Timers.Cancel(CheckStall.Instance);
        Log.Warning("{0}: {1}; {2} {3}", Role.Instance.Peer.Id, why, doing, Upstream.Id);
        ReportWaiting($"{doing} upstream {Upstream.Id}: {why}");
    }

    /// <inheritdoc />
    protected override async Task ReconcileAsync(CancellationToken ct)
    {
        var upstream = Role.Assignment.Upstream
            ?? throw new InvalidOperationException($"{Role.Assignment.Role} {Role.Instance.Peer.Id} has no upstream in state v{Role.State.Version}.");
        var instance = Role.Instance;
        // An async's upstream is a standby. One that still runs as a primary (it has not applied the state that made it
        // the sync yet) may name this peer in synchronous_standby_names from an older state, and would acknowledge
        // commits through it that the state's primary never sees (found by the rules' property model).
        if (Role.Assignment.Role == PeerRole.Async && !await instance.IsNotAPrimaryAsync(upstream, ct).ConfigureAwait(false))
            throw new InvalidOperationException(
                $"{instance.Peer.Id} is an async of {upstream.Id} in state v{Role.State.Version}, but {upstream.Id} still runs as a primary; waiting until it runs as a standby.");
        if (instance.WasPrimary)
        {
            // Rewound from the primary, not from the upstream: the primary is on the newest timeline and its pg_control
            // is current, where a standby's lags until its next restartpoint.
            var outcome = await instance.RejoinAsync(Role.State.Primary, upstream, Role.Assignment.Downstream, CloneProgress(), ct).ConfigureAwait(false);
            Log.Info("{0} was a primary and now follows {1}: {2}{3}", instance.Peer.Id, upstream.Id,
                outcome.Method switch
                {
                    RejoinMethod.Rewound => $"rewound onto {Role.State.Primary.Id}'s history",
                    RejoinMethod.AlreadyOnHistory => $"already on {Role.State.Primary.Id}'s history",
                    _ => $"cloned afresh from {Role.State.Primary.Id}",
                },
                outcome.RewindFailure is { } why ? $" (the rewind could not be used: {why})" : "");
        }
        else
        {
            if (!instance.HasData) await WaitUntilUpstreamCanBeClonedAsync(upstream, ct).ConfigureAwait(false);
            if (await instance.FollowAsync(upstream, Role.Assignment.Downstream, CloneProgress(), ct).ConfigureAwait(false) is { } rewound)
                Log.Warning("{0}; {1}{2}", rewound.Why, rewound.Method,
                    rewound.RewindFailure is { } why ? $" (the rewind could not be used: {why})" : "");
        }
        Report(new RoleProtocol.Applied(Role.Token, Role.Assignment.Role, ReadWrite: false));
    }

    /// <summary>
    /// A new cluster's sync is told its role while the primary is still running initdb, and an async while the sync is
    /// still cloning. Polled at the shortest retry interval rather than failed into the role's growing backoff, which
    /// cost a fresh cluster up to several seconds after its primary came up.
    /// </summary>
    private async Task WaitUntilUpstreamCanBeClonedAsync(PeerId upstream, CancellationToken ct)
    {
        while (await Role.Instance.WhyNotReadyToCloneAsync(upstream, ct).ConfigureAwait(false) is { } why)
        {
            ReportWaiting($"waiting to clone from upstream {upstream.Id}: {why}");
            await Task.Delay(Role.Options.MinRetryBackoff, ct).ConfigureAwait(false);
        }
    }

    private sealed record CheckStall
    {
        public static readonly CheckStall Instance = new();
    }

    private sealed record StallRead(StallReading? Reading);

    /// <summary>A fresh clone or a rewind of a stalled standby is done; <paramref name="How"/> says which, before the upstream's id.</summary>
    private sealed record Repaired(string How, bool NothingDone = false);
}

/// <summary>The sync: streams from the primary, which waits for it on every commit.</summary>
public sealed class SyncRole(RoleContext context) : StandbyRole(context)
{
    /// <summary>Props for <paramref name="context"/>.</summary>
    public static Akka.Actor.Props Props(RoleContext context) => Akka.Actor.Props.Create(() => new SyncRole(context));
}

/// <summary>An async: streams from the link above it in the chain.</summary>
public sealed class AsyncRole(RoleContext context) : StandbyRole(context)
{
    /// <summary>Props for <paramref name="context"/>.</summary>
    public static Akka.Actor.Props Props(RoleContext context) => Akka.Actor.Props.Create(() => new AsyncRole(context));
}
