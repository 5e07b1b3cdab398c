using Akka.Actor;
using Akka.Event;
using Appliance.Nodes.Postgres;
using Appliance.Nodes.State;

namespace Appliance.Actors.Node.Roles;

/// <summary>
/// A role that runs PostgreSQL as a standby and, once applied, watches that it streams (<see cref="StandbyStall"/>): a
/// standby whose upstream no longer holds the WAL it needs would otherwise wait for ever (BENCHMARKS finding 10), and is
/// cloned afresh from it; one that has forked off its upstream's history since the role started is rewound onto it.
/// Subclasses say where the upstream is and how to repair from it: a peer of this cluster (<see cref="StandbyRole"/>) or
/// the primary of a standby cluster's source (<see cref="StandbyLeaderRole"/>).
/// </summary>
internal abstract class StallWatchingRole : RoleActor, IWithTimers
{
    private long _stalledSince;   // a timestamp of Role.Options.Clock: the patience must not move with the wall clock
    private long _upstreamAnsweringSince;   // since when every check of a standby that did not stream could read its upstream
    private Lsn _lastPosition;
    private bool _reading;   // a check in flight: the next tick does not start another
    private bool _cloning;   // a fresh clone or rewind in flight: a check still in the mailbox must not start a second one
    private TimeSpan _rewindPatience = TimeSpan.Zero;   // beyond the stall rule's own patience; grows after a rewind that found nothing

    /// <summary>Creates the role for <paramref name="context"/>.</summary>
    protected StallWatchingRole(RoleContext context) : base(context)
    {
        _stalledSince = _upstreamAnsweringSince = Role.Options.Clock.GetTimestamp();
        Receive<CheckStall>(_ =>
        {
            if (_reading || _cloning) return;
            _reading = true;
            ReadStallAsync(Stopping).PipeTo(Self, success: check => new StallRead(check), failure: _ => new StallRead(null));
        });
        Receive<StallRead>(read =>
        {
            _reading = false;
            if (!_cloning) OnStallRead(read.Check);
        });
        Receive<Repaired>(repaired =>
        {
            _cloning = false;
            // A rewind that found nothing (stopped, the data directory was on the upstream's history after all: a
            // lagging read of its timeline) doubles the wait before the next, so a misread cannot restart it every 30 s.
            if (repaired.NothingDone)
                _rewindPatience = TimeSpan.FromTicks(Math.Min(Math.Max(_rewindPatience.Ticks * 2, 2 * Role.Options.StandbyStallPatience.Ticks),
                    TimeSpan.FromMinutes(30).Ticks));
            Log.Info("{0} {1} {2} and follows it again", Role.Instance.Peer.Id, repaired.How, repaired.Upstream);
            ReportResumed();
            Report(new RoleProtocol.Applied(Role.Token, Role.Assignment.Role, ReadWrite: false));
            Watch();
        });
    }

    /// <inheritdoc />
    public ITimerScheduler Timers { get; set; } = null!;

    /// <summary>One check: what it read, how reasons name the upstream, and the peer a repair copies from.</summary>
    /// <param name="Reading">The standby's progress and, when it does not stream, its upstream's WAL.</param>
    /// <param name="Upstream">How reasons name the upstream, such as <c>upstream n2</c>.</param>
    /// <param name="RepairFrom">The instance a fresh clone or rewind copies from; null when none answered.</param>
    protected sealed record StallCheck(StallReading Reading, string Upstream, PeerId? RepairFrom);

    /// <summary>Reads one check; null when the instance's own PostgreSQL does not answer.</summary>
    protected abstract Task<StallCheck?> ReadStallAsync(CancellationToken ct);

    /// <summary>Replaces the standby's data with a fresh copy of <paramref name="from"/>'s and follows the upstream again.</summary>
    protected abstract Task CloneAfreshAsync(PeerId from, CancellationToken ct);

    /// <summary>Rewinds the standby onto <paramref name="from"/>'s history and follows the upstream again; null when not forked.</summary>
    protected abstract Task<RejoinOutcome?> RewindForkedAsync(PeerId from, CancellationToken ct);

    /// <summary>Whether this role watches at all (a standby leader that follows an archive does not stream).</summary>
    protected virtual bool Watches => true;

    /// <inheritdoc />
    protected override void OnReconciled()
    {
        if (Watches) Watch();
    }

    private void Watch()
    {
        _stalledSince = _upstreamAnsweringSince = Role.Options.Clock.GetTimestamp();
        _lastPosition = default;
        Timers.StartPeriodicTimer(CheckStall.Instance, CheckStall.Instance, Role.Options.StandbyStallCheckInterval);
    }

    private void OnStallRead(StallCheck? check)
    {
        if (check is null) return;   // PostgreSQL does not answer: the node sees that, and the role is restarted
        var reading = check.Reading;
        if (reading.Own.Streaming || reading.Own.Position != _lastPosition)
        {
            _stalledSince = Role.Options.Clock.GetTimestamp();
            _lastPosition = reading.Own.Position;
        }
        // The patience runs only while the upstream answers: after an outage of the upstream or of the link longer
        // than the patience, the first check that reads it again usually comes before the WAL receiver has reconnected
        // (connect_timeout, 5 s, and wal_retrieve_retry_interval, 1 s), and a healthy standby must not be copied then.
        if (reading.Upstream is null) _upstreamAnsweringSince = Role.Options.Clock.GetTimestamp();
        var stalledFor = Role.Options.Clock.GetElapsedTime(_stalledSince);
        var answeredFor = Role.Options.Clock.GetElapsedTime(_upstreamAnsweringSince);
        var stalledWhileAnswered = stalledFor < answeredFor ? stalledFor : answeredFor;
        switch (StandbyStall.Decide(check.Upstream, reading, stalledWhileAnswered, Role.Options.StandbyStallPatience))
        {
            case StallVerdict.Streaming:
                ReportResumed();
                break;
            case StallVerdict.Wait wait when stalledFor >= Role.Options.StandbyStallCheckInterval:
                // Not at the first look: a standby that has just started, or whose upstream has just changed, streams soon.
                ReportWaiting(wait.Why);
                break;
            case StallVerdict.CloneAfresh clone when check.RepairFrom is { } from:
                BeginRepair("cloning afresh from", check.Upstream, clone.Why);
                PipeWork(CloneAfreshAsync(from, Stopping), () => new Repaired("cloned afresh from", check.Upstream));
                break;
            case StallVerdict.Rewind rewind when check.RepairFrom is { } from && stalledWhileAnswered >= _rewindPatience:
                BeginRepair("rewinding onto", check.Upstream, rewind.Why);
                PipeWork(RewindForkedAsync(from, Stopping),
                    outcome => outcome is null
                        ? new Repaired("found nothing to rewind onto", check.Upstream, NothingDone: true)
                        : new Repaired("rewound onto", check.Upstream));
                break;
            case StallVerdict.Rewind rewind:
                ReportWaiting($"{rewind.Why}; rewinding once it has not streamed for {_rewindPatience.TotalSeconds:0} s");
                break;
        }
    }

    /// <summary>Stops the stall checks while a repair runs, and says so; <see cref="Repaired"/> starts them again.</summary>
    private void BeginRepair(string doing, string upstream, string why)
    {
        _cloning = true;
        Timers.Cancel(CheckStall.Instance);
        Log.Warning("{0}: {1}; {2} {3}", Role.Instance.Peer.Id, why, doing, upstream);
        ReportWaiting($"{doing} {upstream}: {why}");
    }

    private sealed record CheckStall
    {
        public static readonly CheckStall Instance = new();
    }

    private sealed record StallRead(StallCheck? Check);

    /// <summary>A fresh clone or a rewind of a stalled standby is done; <paramref name="How"/> says which, before the upstream.</summary>
    private sealed record Repaired(string How, string Upstream, bool NothingDone = false);
}
