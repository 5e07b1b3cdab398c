using Akka.Event;
using Appliance.Nodes.Postgres;
using Appliance.Nodes.State;

namespace Appliance.Actors.Node;

/// <summary>
/// The newest state version (and the cluster id) a node has played, kept in the instance's lineage file, so that even
/// after a restart it refuses an older lineage or another cluster's (<see cref="StateLineage.Refusal"/>).
/// </summary>
/// <remarks>Not thread-safe: the node actor owns it. The writes it starts run one after another, never two at once.</remarks>
internal sealed class LineageKeeper(StateLineage? file, string peer, ILoggingAdapter log)
{
    private StateLineage.Seen? _seen;
    private Task _write = Task.CompletedTask;

    /// <summary>Reads the file; a one-off read of a small local file at start-up, before the first message.</summary>
    /// <exception cref="InvalidDataException">The file is not a lineage.</exception>
    public void Load() => _seen = file?.Load();

    /// <summary>Why <paramref name="state"/> must be refused, or null if it may be played.</summary>
    public string? Refusal(ClusterState state) => StateLineage.Refusal(_seen, state);

    /// <summary>Records <paramref name="state"/> as played, on disk too when it is newer (or names the cluster first); a failed write is only logged.</summary>
    public void Remember(ClusterState state)
    {
        if (_seen is { } held && held.Version >= state.Version && (held.ClusterId is not null || state.ClusterId is null)) return;
        var seen = new StateLineage.Seen(Math.Max(state.Version, _seen?.Version ?? 0), state.ClusterId ?? _seen?.ClusterId);
        _seen = seen;
        if (file is null) return;
        var target = file;
        _write = _write.ContinueWith(_ => target.SaveAsync(seen, CancellationToken.None), TaskScheduler.Default).Unwrap()
            .ContinueWith(t =>
            {
                if (t.IsFaulted) log.Error("{0}: could not record the state lineage in {1}: {2}", peer, target.Path, t.Exception?.GetBaseException().Message);
            }, TaskScheduler.Default);
    }
}
