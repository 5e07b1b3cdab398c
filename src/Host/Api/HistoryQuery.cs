using System.Globalization;
using Appliance.Actors.Protocol;

namespace Appliance.Host.Api;

/// <summary>
/// <c>GET /history?since=VERSION&amp;limit=N</c>: the entries after version <see cref="Since"/>, at most
/// <see cref="Limit"/> of them, oldest first. The next page starts after the last version of this one; a page
/// shorter than the limit is the last.
/// </summary>
/// <param name="Since">Only versions above this (0: from the start).</param>
/// <param name="Limit">At most this many (null: all).</param>
public sealed record HistoryQuery(long Since, int? Limit)
{
    /// <summary>Parses the query's values; false with a message for 400 if either is not a number it can use.</summary>
    public static bool TryParse(string? since, string? limit, out HistoryQuery query, out string error)
    {
        query = new HistoryQuery(0, null);
        error = "";
        long s = 0;
        int? l = null;
        if (!string.IsNullOrEmpty(since) && (!long.TryParse(since, NumberStyles.None, CultureInfo.InvariantCulture, out s)))
        {
            error = $"since '{since}' is not a state version: give a whole number of 0 or more (the last version of the page before).";
            return false;
        }
        if (!string.IsNullOrEmpty(limit))
        {
            if (!int.TryParse(limit, NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n < 1)
            {
                error = $"limit '{limit}' is not a page size: give a whole number of 1 or more.";
                return false;
            }
            l = n;
        }
        query = new HistoryQuery(s, l);
        return true;
    }

    /// <summary>This page of <paramref name="history"/> (oldest first).</summary>
    public IEnumerable<ClusterStateProtocol.StateRecorded> Page(IReadOnlyList<ClusterStateProtocol.StateRecorded> history)
    {
        var page = history.Where(e => e.State.Version > Since);
        return Limit is { } l ? page.Take(l) : page;
    }
}
