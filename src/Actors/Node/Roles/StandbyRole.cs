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
/// longer holds the WAL it needs would otherwise wait for ever (BENCHMARKS finding 10), and is cloned afresh from it.
/// </remarks>
public abstract class StandbyRole : RoleActor, IWithTimers
{
    private long _stalledSince = Stopwatch.GetTimestamp();
    private Lsn _lastPosition;
    private bool _reading;   // a check in flight: the next tick does not start another
    private bool _cloning;   // a fresh clone in flight: a check still in the mailbox must not start a second one

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
        Receive<ClonedAfresh>(_ =>
        {
            _cloning = false;
            Log.Info("{0} cloned afresh from {1} and follows it again", Role.Instance.Peer.Id, Upstream.Id);
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
                _cloning = true;
                Timers.Cancel(CheckStall.Instance);
                Log.Warning("{0}: {1}; cloning afresh from {2}", Role.Instance.Peer.Id, clone.Why, Upstream.Id);
                ReportWaiting($"cloning afresh from upstream {Upstream.Id}: {clone.Why}");
                PipeWork(Role.Instance.CloneAfreshAsync(Upstream, Role.Assignment.Downstream, CloneProgress(), Stopping),
                    () => ClonedAfresh.Instance);
                break;
        }
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

    private sealed record ClonedAfresh
    {
        public static readonly ClonedAfresh Instance = new();
    }
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
