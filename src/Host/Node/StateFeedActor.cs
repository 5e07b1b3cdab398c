using Akka.Actor;
using Appliance.Actors.Client;
using Appliance.Actors.Protocol;
using Appliance.Nodes.State;

namespace Appliance.Host.Node;

/// <summary>
/// Follows the state through a <see cref="ClusterStateSubscriber"/> child, feeds <see cref="ClusterEvents"/>, and logs one
/// structured line per state transition (version, generation, this node's role, reason), reading the reason from
/// the coordinator's history (only the entries this node lacks, <see cref="HistoryBook"/>). A read that failed, or that did not show the newest state yet, is tried again after
/// <see cref="HistoryRetry"/>: nothing else would read it before the next state change, and <c>/metrics</c> would lack
/// its counters (or lag by a write) till then.
/// </summary>
public sealed class StateFeedActor : ReceiveActor, IWithTimers
{
    /// <summary>How long after a read of the coordinator's history that failed, or lacked the newest state, it is read again.</summary>
    public static readonly TimeSpan HistoryRetry = TimeSpan.FromSeconds(2);

    private readonly ClusterEvents _events;
    private readonly IActorRef _coordinator;
    private readonly ILogger _log;
    private readonly string _self;
    private long _logged;
    private bool _reading;
    private bool _again;

    private sealed record HistoryRead(IReadOnlyList<ClusterStateProtocol.StateRecorded>? History, string? Error);

    private sealed record StateSeen(ClusterState State);

    private sealed record RetryHistory
    {
        public static readonly RetryHistory Instance = new();
    }

    /// <inheritdoc />
    public ITimerScheduler Timers { get; set; } = null!;

    /// <summary>Creates the feed.</summary>
    public StateFeedActor(ClusterEvents events, IActorRef coordinator, IActorRef mediator, ILogger log, string self)
    {
        _events = events;
        _coordinator = coordinator;
        var feed = Self;
        Context.ActorOf(ClusterStateSubscriber.Props(coordinator, mediator, state => feed.Tell(new StateSeen(state))), "subscriber");
        _log = log;
        _self = self;
        Receive<StateSeen>(seen => Offer(seen.State));
        Receive<HistoryRead>(OnHistory);
        Receive<RetryHistory>(_ => ReadHistory());
    }

    /// <summary>Props.</summary>
    public static Props Props(ClusterEvents events, IActorRef coordinator, IActorRef mediator, ILogger log, string self) =>
        Akka.Actor.Props.Create(() => new StateFeedActor(events, coordinator, mediator, log, self));

    private void Offer(ClusterState state)
    {
        if (!_events.Offer(state)) return;
        ReadHistory();
    }

    private void ReadHistory()
    {
        if (_reading) { _again = true; return; }
        _reading = true;
        _events.Book.CatchUpAsync(_coordinator, TimeSpan.FromSeconds(10))
            .PipeTo(Self, success: h => new HistoryRead(h, null), failure: e => new HistoryRead(null, e.Message));
    }

    private void OnHistory(HistoryRead read)
    {
        _reading = false;
        var latest = _events.Latest!;
        if (read.History is { } history)
        {
            // The first time, log only the state in force; after that, every write since the last one logged.
            var from = _logged == 0 ? latest.Version : _logged + 1;
            foreach (var entry in history.Where(e => e.State.Version >= from && e.State.Version <= latest.Version))
                LogTransition(entry.State, entry.Reason.ToString(), entry.Detail);
        }
        if (_again)
        {
            _again = false;
            ReadHistory();
            return;
        }
        if (latest.Version > _logged)
            LogTransition(latest, "Unknown", read.History is null
                ? $"the coordinator's history could not be read ({read.Error})"
                : "the coordinator's history does not show this write yet");
        if (read.History is not { Count: > 0 } entries || entries[^1].State.Version < latest.Version)
            Timers.StartSingleTimer(RetryHistory.Instance, RetryHistory.Instance, HistoryRetry);
    }

    private void LogTransition(ClusterState state, string reason, string detail)
    {
        if (state.Version <= _logged) return;
        _logged = state.Version;
        _log.LogInformation(
            "State transition v{Version} generation {Generation}: {Self} is {Role}; primary {Primary}, sync {Sync}, asyncs [{Asyncs}], deposed [{Deposed}]{Frozen}; reason {Reason}: {Detail}",
            state.Version, state.Generation, _self, state.RoleOf(_self).Role.ToString().ToLowerInvariant(),
            state.Primary.Id, state.Sync?.Id ?? "-", string.Join(",", state.Async.Select(p => p.Id)),
            string.Join(",", state.Deposed.Select(p => p.Id)), state.Freeze is { } f ? $", frozen ({f.Reason})" : "",
            reason, detail);
    }
}
