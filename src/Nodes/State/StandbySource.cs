using System.Collections.Immutable;
using System.Globalization;

namespace Appliance.Nodes.State;

/// <summary>
/// The other cluster a standby cluster follows (<c>--standby-of HOST:PORT[,HOST:PORT…]</c>): the PostgreSQL addresses
/// of its nodes. The standby leader streams from whichever of them is the source's writable primary, so it follows the
/// source through the source's own failovers.
/// </summary>
/// <remarks>Its text form, <see cref="ToString"/>, is what <see cref="Parse"/> reads and what the cluster state stores.</remarks>
public sealed record StandbySource
{
    private StandbySource(ImmutableArray<SourceHost> hosts) => Hosts = hosts;

    /// <summary>The source's PostgreSQL addresses, in the order given; at least one, no duplicate.</summary>
    public ImmutableArray<SourceHost> Hosts { get; }

    /// <summary>
    /// Reads <c>HOST:PORT[,HOST:PORT…]</c>. The port is the text after the last colon, so an IPv6 address goes in
    /// brackets (<c>[::1]:5432</c>).
    /// </summary>
    /// <exception cref="FormatException">The text is empty, an entry has no host or no valid port, or one repeats; the
    /// message names the entry.</exception>
    public static StandbySource Parse(string text)
    {
        if (string.IsNullOrWhiteSpace(text))
            throw new FormatException("The source is empty; give the other cluster's PostgreSQL addresses as HOST:PORT[,HOST:PORT…].");
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
            if (host.Length == 0 || host.Any(c => char.IsWhiteSpace(c) || c is '\'' or '\\' or ','))
                throw new FormatException($"'{entry}' has no usable host.");
            if (!int.TryParse(entry[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
                throw new FormatException($"'{entry}' has port '{entry[(colon + 1)..]}'; a TCP port is 1 to 65535.");
            var parsed = new SourceHost(host, port);
            if (hosts.Contains(parsed)) throw new FormatException($"'{entry}' is given twice.");
            hosts.Add(parsed);
        }
        return new StandbySource([.. hosts]);
    }

    /// <summary>
    /// Whether <paramref name="other"/> names the same source: the same hosts in any order, host names compared without
    /// case (DNS does). Null names no source, so two nulls are the same.
    /// </summary>
    public static bool Same(StandbySource? one, StandbySource? other) =>
        one is null || other is null
            ? one is null && other is null
            : one.Hosts.Select(Key).ToHashSet().SetEquals(other.Hosts.Select(Key));

    private static string Key(SourceHost h) => h.Host.ToLowerInvariant() + ":" + h.Port.ToString(CultureInfo.InvariantCulture);

    /// <inheritdoc />
    public bool Equals(StandbySource? other) => other is not null && Hosts.SequenceEqual(other.Hosts);

    /// <inheritdoc />
    public override int GetHashCode() => ToString().GetHashCode(StringComparison.Ordinal);

    /// <summary>The text form, <c>HOST:PORT,HOST:PORT</c>, IPv6 hosts in brackets.</summary>
    public override string ToString() => string.Join(",", Hosts);
}

/// <summary>One PostgreSQL address of a <see cref="StandbySource"/>.</summary>
/// <param name="Host">Its host name or address.</param>
/// <param name="Port">Its PostgreSQL port.</param>
public sealed record SourceHost(string Host, int Port)
{
    /// <inheritdoc />
    public override string ToString() =>
        (Host.Contains(':') ? $"[{Host}]" : Host) + ":" + Port.ToString(CultureInfo.InvariantCulture);
}
