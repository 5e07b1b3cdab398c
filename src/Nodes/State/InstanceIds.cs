using System.Globalization;

namespace Appliance.Nodes.State;

/// <summary>
/// Instance ids (<c>pg-1</c> … <c>pg-N</c>) and the peer ids of their incarnations. An instance is what the cluster
/// is sized in; an incarnation is that instance placed on one host, with its own data directory and port. The peer id
/// of an incarnation is <c>INSTANCE.HOST</c> (<c>pg-3.host-b</c>), so an instance re-created on another host is a new
/// peer of the cluster state: it can never be mistaken for the old incarnation's data or place in the chain.
/// </summary>
public static class InstanceIds
{
    /// <summary>The prefix of every instance id.</summary>
    public const string Prefix = "pg-";

    /// <summary>The instance ids of a cluster of <paramref name="size"/> instances, in order.</summary>
    public static IReadOnlyList<string> For(int size) =>
        [.. Enumerable.Range(1, Math.Max(0, size)).Select(i => Prefix + i.ToString(CultureInfo.InvariantCulture))];

    /// <summary>The 1-based number of <paramref name="instanceId"/> (<c>pg-3</c> → 3), or null if it is not an instance id.</summary>
    public static int? NumberOf(string instanceId) =>
        instanceId.StartsWith(Prefix, StringComparison.Ordinal)
        && int.TryParse(instanceId.AsSpan(Prefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= 1
            ? n
            : null;

    /// <summary>The peer id of <paramref name="instanceId"/> placed on <paramref name="host"/>.</summary>
    /// <exception cref="ArgumentException">The combination is not a valid peer id (too long, or bad characters).</exception>
    public static string Incarnation(string instanceId, string host)
    {
        var id = $"{instanceId}.{host}";
        if (!PeerId.IsValidId(id))
            throw new ArgumentException(
                $"Instance {instanceId} on host '{host}' would be peer '{id}', which is not a valid peer id: use a host name of letters, digits, '-', '_' or '.', short enough for 63 characters in all.",
                nameof(host));
        return id;
    }

    /// <summary>The instance an incarnation's peer id belongs to (<c>pg-3.host-b</c> → <c>pg-3</c>); the id itself if it has no host part.</summary>
    public static string InstanceOf(string peerId)
    {
        var dot = peerId.IndexOf('.', StringComparison.Ordinal);
        return dot < 0 ? peerId : peerId[..dot];
    }

    /// <summary>The PostgreSQL port of <paramref name="instanceId"/> on a host whose base port is <paramref name="basePort"/>: base + number − 1.</summary>
    /// <exception cref="ArgumentException">Not an instance id, or the port would exceed 65535.</exception>
    public static int PortOf(string instanceId, int basePort)
    {
        var n = NumberOf(instanceId) ?? throw new ArgumentException($"'{instanceId}' is not an instance id ({Prefix}N).", nameof(instanceId));
        var port = basePort + n - 1;
        if (port > 65535)
            throw new ArgumentException($"Instance {instanceId} with base port {basePort} would listen on {port}; lower the base port.", nameof(instanceId));
        return port;
    }
}
