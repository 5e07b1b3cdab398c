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
    private volatile IReadOnlyDictionary<long, WriteOutageProtocol.Measured> _outages = new Dictionary<long, WriteOutageProtocol.Measured>();
    private long _outagesThrough;

    /// <summary>The longest the outage catch-up may take: a coordinator of a version without the outage journal never answers.</summary>
    public static readonly TimeSpan OutageAskTimeout = TimeSpan.FromSeconds(2);

    /// <summary>Every entry held, oldest first; null before the first catch-up that succeeded.</summary>
    public IReadOnlyList<ClusterStateProtocol.StateRecorded>? Entries => _entries;

    /// <summary>
    /// The measured write outage of each history entry that has one, by state version. Paged from the outage journal
    /// by its own sequence numbers, not with the entries: an outage is measured after its entry is written, often after
    /// a reader already holds that entry.
    /// </summary>
    public IReadOnlyDictionary<long, WriteOutageProtocol.Measured> Outages => _outages;

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
                if (!page.More || added == 0) break;
            }
            await CatchUpOutagesAsync(coordinator, timeout < OutageAskTimeout ? timeout : OutageAskTimeout, ct).ConfigureAwait(false);
            return _entries!;
        }
        finally { _gate.Release(); }
    }

    /// <summary>
    /// Adds the outages measured since the last one held. A failure keeps what is held: the history stands without
    /// them (a coordinator of an older version does not answer at all).
    /// </summary>
    private async Task CatchUpOutagesAsync(ICanTell coordinator, TimeSpan timeout, CancellationToken ct)
    {
        var outages = new Dictionary<long, WriteOutageProtocol.Measured>(_outages);
        try
        {
            while (true)
            {
                var page = await coordinator.Ask<WriteOutageProtocol.Outages>(new WriteOutageProtocol.GetOutages(_outagesThrough), timeout, ct).ConfigureAwait(false);
                if (page.Through <= _outagesThrough) break;
                // A later measurement of the same version (a coordinator that measured it again) replaces the earlier.
                foreach (var outage in page.Entries) outages[outage.Version] = outage;
                _outagesThrough = page.Through;
                if (!page.More) break;
            }
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            // Outages are a measurement, not the history: show the history without the ones not read.
        }
        _outages = outages;
    }
}
