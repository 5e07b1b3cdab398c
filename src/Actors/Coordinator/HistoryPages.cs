using Akka.Actor;
using Akka.Streams;
using Akka.Streams.Dsl;
using Appliance.Actors.Protocol;

namespace Appliance.Actors.Coordinator;

/// <summary>
/// How the coordinator answers <see cref="ClusterStateProtocol.GetHistory"/>: one page from the journal, starting after
/// the version asked for, cut so that the answer stays well inside Akka's frame size
/// (<c>akka.remote.dot-netty.tcp.maximum-frame-size</c>): a message larger than that is dropped by remoting, and a
/// history of a few hundred states is larger than the default 128,000 bytes.
/// </summary>
internal static class HistoryPages
{
    /// <summary>The most entries one page holds, whatever the limit asked for.</summary>
    public const int MaxEntries = 500;

    /// <summary>The frame size when the configuration names none (Akka.Remote's default).</summary>
    public const long DefaultFrameSize = 128_000;

    /// <summary>The part of the frame size one page may fill: the rest is headroom for the envelope and the wrapper.</summary>
    public static long Budget(ActorSystem system)
    {
        var config = system.Settings.Config;
        var frame = config.HasPath("akka.remote.dot-netty.tcp.maximum-frame-size")
            ? config.GetByteSize("akka.remote.dot-netty.tcp.maximum-frame-size") ?? DefaultFrameSize
            : DefaultFrameSize;
        return frame / 2;
    }

    /// <summary>Reads the page <paramref name="ask"/> asks for.</summary>
    public static async Task<ClusterStateProtocol.History> ReadAsync(ActorSystem system, string queryPluginId, ClusterStateProtocol.GetHistory ask, IMaterializer materializer)
    {
        var limit = Math.Clamp(ask.Limit ?? MaxEntries, 1, MaxEntries);
        var from = Math.Max(ask.Since ?? 0, 0) + 1;
        // One more than the limit says whether there is more.
        var window = await PersistedStateReader.Entries(system, queryPluginId, from)
            .Take(limit + 1)
            .RunWith(Sink.Seq<ClusterStateProtocol.StateRecorded>(), materializer).ConfigureAwait(false);
        return Cut(window, limit, Budget(system), e => system.Serialization.FindSerializerFor(e).ToBinary(e).Length);
    }

    /// <summary>
    /// The first entries of <paramref name="window"/>, at most <paramref name="limit"/>, whose sizes add up to at most
    /// <paramref name="budget"/> (at least one entry, so that a page always moves on); <c>More</c> when any is left.
    /// </summary>
    public static ClusterStateProtocol.History Cut(IReadOnlyList<ClusterStateProtocol.StateRecorded> window, int limit, long budget, Func<ClusterStateProtocol.StateRecorded, long> size)
    {
        var page = new List<ClusterStateProtocol.StateRecorded>();
        long used = 0;
        foreach (var entry in window)
        {
            if (page.Count == limit) break;
            var bytes = size(entry);
            if (page.Count > 0 && used + bytes > budget) break;
            page.Add(entry);
            used += bytes;
        }
        return new ClusterStateProtocol.History(page, page.Count < window.Count);
    }
}
