using System.Threading.Channels;
using Akka.Actor;
using Akka.Cluster.Tools.PublishSubscribe;
using Appliance.Actors.Protocol;
using Appliance.Nodes.State;
using Microsoft.Extensions.Logging;

namespace Appliance.Host.Node;

/// <summary>
/// The states this process has seen, fanned out to HTTP subscribers (<c>/state/stream</c>), plus the history the
/// metrics and the transition log read. Fed by <see cref="StateFeedActor"/>.
/// </summary>
public sealed class ClusterEvents
{
    private readonly Lock _gate = new();
    private readonly List<Channel<ClusterState>> _subscribers = [];

    /// <summary>The newest state seen.</summary>
    public ClusterState? Latest { get; private set; }

    /// <summary>The newest history read from the coordinator, oldest first; null before the first read.</summary>
    public IReadOnlyList<ClusterStateProtocol.StateRecorded>? History { get; internal set; }

    /// <summary>Offers a state; older or equal versions are ignored.</summary>
    /// <returns>True if it was newer.</returns>
    public bool Offer(ClusterState state)
    {
        lock (_gate)
        {
            if (Latest is not null && state.Version <= Latest.Version) return false;
            Latest = state;
            foreach (var s in _subscribers) s.Writer.TryWrite(state);
            return true;
        }
    }

    /// <summary>A stream of every newer state, starting with the current one (if any). Dispose to leave.</summary>
    public Subscription Subscribe()
    {
        var channel = Channel.CreateBounded<ClusterState>(new BoundedChannelOptions(64) { FullMode = BoundedChannelFullMode.DropOldest });
        lock (_gate)
        {
            if (Latest is not null) channel.Writer.TryWrite(Latest);
            _subscribers.Add(channel);
        }
        return new Subscription(channel.Reader, () => { lock (_gate) _subscribers.Remove(channel); });
    }

    /// <summary>One subscriber's stream.</summary>
    /// <param name="Reader">The states.</param>
    /// <param name="Leave">Unsubscribes.</param>
    public sealed record Subscription(ChannelReader<ClusterState> Reader, Action Leave) : IDisposable
    {
        /// <inheritdoc />
        public void Dispose() => Leave();
    }
}

/// <summary>
/// Subscribes to <see cref="ClusterStateProtocol.Topic"/>, feeds <see cref="ClusterEvents"/>, and logs one
/// structured line per state transition (version, generation, this node's role, reason), reading the reason from
/// the coordinator's history.
/// </summary>
public sealed class StateFeedActor : ReceiveActor
{
    private readonly ClusterEvents _events;
    private readonly IActorRef _coordinator;
    private readonly IActorRef _mediator;
    private readonly ILogger _log;
    private readonly string _self;
    private long _logged;
    private bool _reading;
    private bool _again;

    private sealed record HistoryRead(ClusterStateProtocol.History? History, string? Error);

    /// <summary>Creates the feed.</summary>
    public StateFeedActor(ClusterEvents events, IActorRef coordinator, IActorRef mediator, ILogger log, string self)
    {
        _events = events;
        _coordinator = coordinator;
        _mediator = mediator;
        _log = log;
        _self = self;
        Receive<ClusterStateProtocol.StateChanged>(c => Offer(c.State));
        Receive<ClusterStateProtocol.CurrentState>(c => { if (c.State is { } s) Offer(s); });
        Receive<SubscribeAck>(_ => { });
        Receive<HistoryRead>(OnHistory);
    }

    /// <summary>Props.</summary>
    public static Props Props(ClusterEvents events, IActorRef coordinator, IActorRef mediator, ILogger log, string self) =>
        Akka.Actor.Props.Create(() => new StateFeedActor(events, coordinator, mediator, log, self));

    /// <inheritdoc />
    protected override void PreStart()
    {
        _mediator.Tell(new Subscribe(ClusterStateProtocol.Topic, Self));
        _coordinator.Tell(ClusterStateProtocol.GetState.Instance);
    }

    private void Offer(ClusterState state)
    {
        if (!_events.Offer(state)) return;
        ReadHistory();
    }

    private void ReadHistory()
    {
        if (_reading) { _again = true; return; }
        _reading = true;
        _coordinator.Ask<ClusterStateProtocol.History>(ClusterStateProtocol.GetHistory.Instance, TimeSpan.FromSeconds(10))
            .PipeTo(Self, success: h => new HistoryRead(h, null), failure: e => new HistoryRead(null, e.Message));
    }

    private void OnHistory(HistoryRead read)
    {
        _reading = false;
        var latest = _events.Latest!;
        if (read.History is { } history)
        {
            _events.History = history.Entries;
            // The first time, log only the state in force; after that, every write since the last one logged.
            var from = _logged == 0 ? latest.Version : _logged + 1;
            foreach (var entry in history.Entries.Where(e => e.State.Version >= from && e.State.Version <= latest.Version))
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
