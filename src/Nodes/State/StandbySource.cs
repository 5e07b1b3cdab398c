using System.Collections.Immutable;
using System.Globalization;

namespace Appliance.Nodes.State;

/// <summary>
/// What a standby cluster follows. Either the other cluster's PostgreSQL addresses (<c>--standby-of
/// HOST:PORT[,HOST:PORT…]</c>): the standby leader streams from whichever of them is the source's writable primary, so
/// it follows the source through the source's own failovers. Or the source's pgBackRest archive
/// (<c>--standby-from-repo</c>, <see cref="Repository"/>): the standby leader restores the newest backup and then
/// replays each WAL segment as the source archives it, never connecting to the source at all.
/// </summary>
/// <remarks>Its text form, <see cref="ToString"/>, is what <see cref="Parse"/> reads and what the cluster state stores:
/// <c>HOST:PORT,…</c>, or <c>STANZA@/REPOSITORY/PATH</c> for an archive.</remarks>
public sealed record StandbySource
{
    private StandbySource(ImmutableArray<SourceHost> hosts, SourceRepository? repository) => (Hosts, Repository) = (hosts, repository);

    /// <summary>The source's PostgreSQL addresses, in the order given; at least one, no duplicate. Empty when it follows <see cref="Repository"/>.</summary>
    public ImmutableArray<SourceHost> Hosts { get; }

    /// <summary>The source's archive, when it follows that instead of <see cref="Hosts"/>; null otherwise.</summary>
    public SourceRepository? Repository { get; }

    /// <summary>A source that is the pgBackRest archive of stanza <paramref name="stanza"/> in the repository at <paramref name="path"/>.</summary>
    /// <exception cref="FormatException">The path is not absolute or the stanza is not one pgBackRest accepts.</exception>
    public static StandbySource FromRepository(string path, string stanza)
    {
        if (string.IsNullOrWhiteSpace(path) || !path.StartsWith('/') || path.IndexOfAny(['\n', '\r', '\0']) >= 0)
            throw new FormatException($"'{path}' is not an absolute path to a pgBackRest repository (for example /mnt/backup/appliance).");
        if (!SourceRepository.IsValidStanza(stanza))
            throw new FormatException($"'{stanza}' is not a pgBackRest stanza name (letters, digits, '.', '_' and '-', not starting with a punctuation mark).");
        return new StandbySource([], new SourceRepository(path, stanza));
    }

    /// <summary>
    /// Reads <c>HOST:PORT[,HOST:PORT…]</c>, or <c>STANZA@/PATH</c> (an archive, the form <see cref="ToString"/> writes
    /// for <see cref="FromRepository"/>). The port is the text after the last colon, so an IPv6 address goes in
    /// brackets (<c>[::1]:5432</c>).
    /// </summary>
    /// <exception cref="FormatException">The text is empty, an entry has no host or no valid port, or one repeats; the
    /// message names the entry.</exception>
    public static StandbySource Parse(string text)
    {
        if (string.IsNullOrWhiteSpace(text))
            throw new FormatException("The source is empty; give the other cluster's PostgreSQL addresses as HOST:PORT[,HOST:PORT…].");
        // No host name holds '@', and a stanza holds neither '@' nor '/', so the first '@' ends the stanza.
        if (text.IndexOf('@') is var at and > 0 && text.IndexOf('/') > at)
            return FromRepository(text[(at + 1)..], text[..at]);
        var hosts = new List<SourceHost>();
        foreach (var raw in text.Split(','))
        {
            var entry = raw.Trim();
            var colon = entry.LastIndexOf(':');
            if (colon <= 0 || colon == entry.Length - 1)
                throw new FormatException($"'{entry}' is not HOST:PORT (for example 10.0.0.5:5432).");
            var host = entry[..colon];
            if (host.StartsWith('[') && host.EndsWith(']')) host = host[1..^1];
            else if (host.Contains(':')) throw new FormatException($"'{entry}': put an IPv6 address in brackets, as [::1]:5432.");
            if (host.Length == 0 || host.Any(c => char.IsWhiteSpace(c) || c is '\'' or '\\' or ',' or '@'))
                throw new FormatException($"'{entry}' has no usable host.");
            if (!int.TryParse(entry[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
                throw new FormatException($"'{entry}' has port '{entry[(colon + 1)..]}'; a TCP port is 1 to 65535.");
            var parsed = new SourceHost(host, port);
            // Host names without case, as Same() and DNS compare them.
            if (hosts.Any(h => h.Port == port && string.Equals(h.Host, host, StringComparison.OrdinalIgnoreCase)))
                throw new FormatException($"'{entry}' is given twice.");
            hosts.Add(parsed);
        }
        return new StandbySource([.. hosts], null);
    }

    /// <summary>
    /// Whether <paramref name="other"/> names the same source: the same hosts in any order, host names compared without
    /// case (DNS does). Null names no source, so two nulls are the same.
    /// </summary>
    public static bool Same(StandbySource? one, StandbySource? other) =>
        one is null || other is null
            ? one is null && other is null
            : Equals(one.Repository, other.Repository) && one.Hosts.Select(Key).ToHashSet().SetEquals(other.Hosts.Select(Key));

    private static string Key(SourceHost h) => h.Host.ToLowerInvariant() + ":" + h.Port.ToString(CultureInfo.InvariantCulture);

    /// <inheritdoc />
    public bool Equals(StandbySource? other) => other is not null && Hosts.SequenceEqual(other.Hosts) && Equals(Repository, other.Repository);

    /// <inheritdoc />
    public override int GetHashCode() => ToString().GetHashCode(StringComparison.Ordinal);

    /// <summary>The node flag that names this source, with its value: <c>--standby-of HOST:PORT,…</c> or <c>--standby-from-repo PATH</c>.</summary>
    public string Flag => Repository is { } repository ? $"{FlagName} {repository.Path}" : $"{FlagName} {this}";

    /// <summary>The name of the node flag that names this source: <c>--standby-of</c> or <c>--standby-from-repo</c>.</summary>
    public string FlagName => Repository is not null ? "--standby-from-repo" : "--standby-of";

    /// <summary>The text form, <c>HOST:PORT,HOST:PORT</c>, IPv6 hosts in brackets, or <c>STANZA@/PATH</c> for an archive.</summary>
    public override string ToString() => Repository is { } repository ? repository.ToString() : string.Join(",", Hosts);
}
