using Akka.Actor;
using Appliance.Actors.Protocol;

namespace Appliance.Actors.Client;

/// <summary>
/// A copy of the coordinator's history that is brought up to date page by page (<see cref="ClusterStateProtocol.GetHistory"/>
/// from the last version held): a node asks only for the entries it lacks, never for the whole journal, and no answer
/// comes near Akka's frame size however long the history grows. Safe to use from several threads; one catch-up runs
/// at a time.
/// </summary>
public sealed class HistoryBook
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private volatile IReadOnlyList<ClusterStateProtocol.StateRecorded>? _entries;

    /// <summary>Every entry held, oldest first; null before the first catch-up that succeeded.</summary>
    public IReadOnlyList<ClusterStateProtocol.StateRecorded>? Entries => _entries;

    /// <summary>The version of the newest entry held (0 when none).</summary>
    public long LastVersion => _entries is { Count: > 0 } e ? e[^1].State.Version : 0;

    /// <summary>
    /// Asks <paramref name="coordinator"/> for every entry after <see cref="LastVersion"/>, a page at a time, until it says
    /// there is no more, and adds them. Each ask may take <paramref name="timeout"/>; a failure leaves what was added.
    /// </summary>
    /// <returns>Every entry held.</returns>
    public async Task<IReadOnlyList<ClusterStateProtocol.StateRecorded>> CatchUpAsync(ICanTell coordinator, TimeSpan timeout, CancellationToken ct = default)
    {
        await _gate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            var entries = new List<ClusterStateProtocol.StateRecorded>(_entries ?? []);
            while (true)
            {
                var since = entries.Count > 0 ? entries[^1].State.Version : 0;
                var page = await coordinator.Ask<ClusterStateProtocol.History>(new ClusterStateProtocol.GetHistory(since), timeout, ct).ConfigureAwait(false);
                // An answer from an older coordinator may hold everything: keep only what is new, in order.
                var added = 0;
                foreach (var entry in page.Entries)
                    if (entry.State.Version > (entries.Count > 0 ? entries[^1].State.Version : 0)) { entries.Add(entry); added++; }
                _entries = entries.ToArray();
                if (!page.More || added == 0) return _entries;
            }
        }
        finally { _gate.Release(); }
    }
}
