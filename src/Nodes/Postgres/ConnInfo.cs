using System.Text;
using Appliance.Nodes.State;

namespace Appliance.Nodes.Postgres;

/// <summary>
/// A libpq connection string (<c>key=value</c> pairs) such as <c>primary_conninfo</c> and the
/// <c>--dbname</c> of <c>pg_basebackup</c> take.
/// </summary>
/// <remarks>Every value is single-quoted with <c>\</c> and <c>'</c> escaped, so passwords and names need no vetting.</remarks>
public sealed record ConnInfo
{
    private readonly IReadOnlyList<KeyValuePair<string, string>> _pairs;

    private ConnInfo(IReadOnlyList<KeyValuePair<string, string>> pairs) => _pairs = pairs;

    /// <summary>A connection string naming host, port, user, password or password file (if any), database (if any) and
    /// application_name, in that order.</summary>
    /// <remarks>Leave the password out of strings that end up on a command line, where any local user can read it;
    /// pass it in <c>PGPASSWORD</c> instead. Leave it out of settings too (<c>primary_conninfo</c>): roles with
    /// <c>pg_read_all_settings</c> read them; name a <paramref name="passFile"/> instead.</remarks>
    /// <param name="host">The peer's address.</param>
    /// <param name="port">Its port.</param>
    /// <param name="user">The role.</param>
    /// <param name="password">The password, if any.</param>
    /// <param name="applicationName">application_name, if any.</param>
    /// <param name="database">dbname, if any.</param>
    /// <param name="passFile">A password file (libpq's passfile), if any.</param>
    /// <param name="tls">With TLS on: <c>sslmode=verify-ca</c> against our CA (the same as <see cref="PeerConnectionDefaults"/>).</param>
    public static ConnInfo For(string host, int port, string user, string? password, string? applicationName = null,
        string? database = null, string? passFile = null, PostgresTls? tls = null) =>
        Build(host, port.ToString(System.Globalization.CultureInfo.InvariantCulture), user, password, applicationName, database, passFile, tls, null);

    /// <summary>
    /// A libpq multi-host connection string to the writable primary among <paramref name="source"/>'s hosts
    /// (<c>target_session_attrs=read-write</c>): libpq tries each host in turn and keeps the first that takes writes,
    /// so a WAL receiver given it follows the source's primary through the source's failovers.
    /// </summary>
    public static ConnInfo ForPrimaryOf(StandbySource source, string user, string? applicationName, string? passFile, PostgresTls? tls) =>
        Build(string.Join(",", source.Hosts.Select(h => h.Host)),
            string.Join(",", source.Hosts.Select(h => h.Port.ToString(System.Globalization.CultureInfo.InvariantCulture))),
            user, null, applicationName, null, passFile, tls, "read-write");

    private static ConnInfo Build(string host, string port, string user, string? password, string? applicationName,
        string? database, string? passFile, PostgresTls? tls, string? targetSessionAttrs)
    {
        var pairs = new List<KeyValuePair<string, string>>
        {
            new("host", host),
            new("port", port),
            new("user", user),
        };
        if (password is not null) pairs.Add(new("password", password));
        if (passFile is not null) pairs.Add(new("passfile", passFile));
        if (database is not null) pairs.Add(new("dbname", database));
        if (applicationName is not null) pairs.Add(new("application_name", applicationName));
        // A dead upstream must not hang a clone or a walreceiver for the OS default of minutes.
        pairs.Add(new("connect_timeout", "5"));
        // No Kerberos attempt, which may consult a name service (PeerConnectionDefaults).
        pairs.Add(new("gssencmode", "disable"));
        if (tls is not null)
        {
            pairs.Add(new("sslmode", "verify-ca"));
            pairs.Add(new("sslrootcert", tls.CaFile));
        }
        if (targetSessionAttrs is not null) pairs.Add(new("target_session_attrs", targetSessionAttrs));
        return new ConnInfo(pairs);
    }

    /// <summary>A copy without the password, for messages and logs.</summary>
    public ConnInfo WithoutPassword() => new(_pairs.Where(p => p.Key != "password").ToList());

    /// <summary>The conninfo text with its password masked, safe for logs and messages.</summary>
    public override string ToString() => new ConnInfo(_pairs.Select(p => p.Key == "password" ? new KeyValuePair<string, string>(p.Key, "***") : p).ToList()).Render();

    /// <summary>The conninfo text, each value quoted, password included.</summary>
    public string Render()
    {
        var sb = new StringBuilder();
        foreach (var (key, value) in _pairs)
        {
            if (sb.Length > 0) sb.Append(' ');
            sb.Append(key).Append('=').Append(QuoteValue(value));
        }
        return sb.ToString();
    }

    /// <summary>Quotes one conninfo value: single quotes around it, <c>\</c> before each <c>\</c> and <c>'</c>.</summary>
    public static string QuoteValue(string value)
    {
        var sb = new StringBuilder(value.Length + 2).Append('\'');
        foreach (var c in value)
        {
            if (c is '\\' or '\'') sb.Append('\\');
            sb.Append(c);
        }
        return sb.Append('\'').ToString();
    }

    /// <inheritdoc />
    public bool Equals(ConnInfo? other) => other is not null && Render() == other.Render();

    /// <inheritdoc />
    public override int GetHashCode() => Render().GetHashCode(StringComparison.Ordinal);
}
