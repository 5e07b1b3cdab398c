using Akka.Actor;
using Akka.Persistence.Query;
using Akka.Streams;
using Akka.Streams.Dsl;
using Appliance.Actors.Protocol;

namespace Appliance.Actors.Coordinator;

/// <summary>
/// How the coordinator answers <see cref="WriteOutageProtocol.GetOutages"/>: one page from the outage journal, after the
/// sequence number asked for. An entry is about 200 bytes, so a page of <see cref="MaxEntries"/> stays far inside half of
/// Akka's default frame size (the budget <see cref="HistoryPages"/> keeps).
/// </summary>
internal static class WriteOutagePages
{
    /// <summary>The most entries one page holds.</summary>
    public const int MaxEntries = 200;

    /// <summary>Reads the page <paramref name="ask"/> asks for.</summary>
    public static async Task<WriteOutageProtocol.Outages> ReadAsync(ActorSystem system, string queryPluginId, WriteOutageProtocol.GetOutages ask, IMaterializer materializer)
    {
        var since = Math.Max(ask.Since ?? 0, 0);
        var window = await PersistenceQuery.Get(system).ReadJournalFor<ICurrentEventsByPersistenceIdQuery>(queryPluginId)
            .CurrentEventsByPersistenceId(WriteOutageProtocol.PersistenceId, since + 1, long.MaxValue)
            .Take(MaxEntries + 1)
            .RunWith(Sink.Seq<EventEnvelope>(), materializer).ConfigureAwait(false);
        return Page(window.Select(e => (e.SequenceNr, e.Event)).ToList(), since);
    }

    /// <summary>
    /// The first <see cref="MaxEntries"/> of <paramref name="window"/> (sequence number and event), <c>More</c> when any
    /// is left. An event that is not an outage fails: such a journal is not ours.
    /// </summary>
    public static WriteOutageProtocol.Outages Page(IReadOnlyList<(long SequenceNr, object Event)> window, long since)
    {
        var page = window.Take(MaxEntries).ToList();
        var entries = page.Select(e => e.Event as WriteOutageProtocol.Measured
                                       ?? throw new InvalidOperationException($"Outage journal entry {e.SequenceNr} is a {e.Event.GetType()}, not an outage.")).ToList();
        return new WriteOutageProtocol.Outages(entries, page.Count > 0 ? page[^1].SequenceNr : since, window.Count > page.Count);
    }
}
