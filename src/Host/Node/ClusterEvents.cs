using System.Threading.Channels;
using Appliance.Actors.Client;
using Appliance.Actors.Protocol;
using Appliance.Nodes.State;

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

    /// <summary>This node's copy of the coordinator's history, brought up to date page by page.</summary>
    public HistoryBook Book { get; } = new();

    /// <summary>The newest history read from the coordinator, oldest first; null before the first read.</summary>
    public IReadOnlyList<ClusterStateProtocol.StateRecorded>? History => Book.Entries;

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
