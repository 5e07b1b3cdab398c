namespace Appliance.Nodes.State;

/// <summary>
/// Identifies one database instance: a stable id (the <c>application_name</c> it replicates under) and where its
/// PostgreSQL listens.
/// </summary>
/// <remarks>Identity is the <see cref="Id"/> alone: an instance that moves to another address is the same peer.</remarks>
public sealed record PeerId
{
    /// <summary>Creates a peer id, rejecting values PostgreSQL or the state could not carry.</summary>
    /// <exception cref="ArgumentException">The id, host or port is unusable; the message says which.</exception>
    public PeerId(string id, string host, int port)
    {
        if (string.IsNullOrWhiteSpace(id))
            throw new ArgumentException("A peer id must not be empty.", nameof(id));
        if (!IsValidId(id))
            throw new ArgumentException(
                $"Peer id '{id}' is not allowed: use 1 to 63 letters, digits, '-', '_' or '.' (it becomes PostgreSQL's application_name).",
                nameof(id));
        if (string.IsNullOrWhiteSpace(host))
            throw new ArgumentException($"Peer '{id}' has no host.", nameof(host));
        if (port is < 1 or > 65535)
            throw new ArgumentOutOfRangeException(nameof(port), port, $"Peer '{id}' has port {port}; a TCP port is 1 to 65535.");
        Id = id;
        Host = host;
        Port = port;
    }

    /// <summary>The instance id, unique in the cluster; also the PostgreSQL <c>application_name</c>.</summary>
    public string Id { get; }

    /// <summary>The address PostgreSQL listens on.</summary>
    public string Host { get; }

    /// <summary>The PostgreSQL TCP port.</summary>
    public int Port { get; }

    /// <summary>True if <paramref name="other"/> names the same instance (same <see cref="Id"/>).</summary>
    public bool Is(PeerId? other) => other is not null && other.Id == Id;

    /// <summary>True if this peer has id <paramref name="id"/>.</summary>
    public bool Is(string? id) => id == Id;

    /// <summary>Whether <paramref name="id"/> is usable as a peer id.</summary>
    public static bool IsValidId(string id) =>
        id.Length is > 0 and <= 63 && id.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.');

    /// <inheritdoc />
    public override string ToString() => $"{Id}@{Host}:{Port}";
}
