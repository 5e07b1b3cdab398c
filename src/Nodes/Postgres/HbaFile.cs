using System.Globalization;
using System.Net;
using System.Text;
using Appliance.Nodes.State;

namespace Appliance.Nodes.Postgres;

/// <summary>Renders <c>pg_hba.conf</c>: loopback and the cluster's peers, each by password (SCRAM), nobody else.</summary>
public static class HbaFile
{
    /// <summary>The file's name inside the data directory.</summary>
    public const string FileName = "pg_hba.conf";

    /// <summary>
    /// The hosts an instance admits: the configured seed hosts (<see cref="DriverSettings.PeerHosts"/>), itself, and every
    /// peer <paramref name="state"/> names (primary, sync, asyncs, deposed), so that a peer added later (one that is not a
    /// seed, or a host placement chose) can clone and stream once the state names it, and one the state dropped can no longer.
    /// </summary>
    /// <param name="state">The newest cluster state; null before the first.</param>
    /// <param name="settings">The instance's settings.</param>
    /// <returns>Seeds and self first, in that order, then the state's hosts sorted, without repeats: a change of roles alone
    /// leaves the list, and so the file, as it was.</returns>
    public static IReadOnlyList<string> AdmittedHosts(ClusterState? state, DriverSettings settings) =>
        [.. settings.PeerHosts.Append(settings.Self.Host)
            .Concat((state?.NamedPeers ?? []).Select(p => p.Host).Order(StringComparer.Ordinal))
            .Distinct(StringComparer.Ordinal)];

    /// <summary>The whole file.</summary>
    /// <param name="replicationUser">The only role admitted for replication, and refused for anything else.</param>
    /// <param name="peerHosts">Hosts of the instances (IP addresses or names, see <see cref="AdmittedHosts"/>); each may
    /// connect and replicate.</param>
    /// <param name="clientNetworks">Extra CIDR networks admitted for ordinary connections only.</param>
    /// <param name="tlsOnly">Admit peers and client networks over TLS only (<c>hostssl</c>); loopback never leaves the machine.</param>
    /// <param name="standbyNetworks">CIDR networks of standby clusters that follow this one: admitted as peers are, to
    /// connect and to replicate.</param>
    public static string Render(string replicationUser, IEnumerable<string> peerHosts, IEnumerable<string> clientNetworks, bool tlsOnly = false,
        IEnumerable<string>? standbyNetworks = null)
    {
        string[] loopback = ["127.0.0.1/32", "::1/128"];
        string TypeFor(string source) => tlsOnly && !loopback.Contains(source) ? "hostssl" : "host   ";
        var repl = QuoteName(replicationUser);
        var sources = new List<string> { "127.0.0.1/32", "::1/128" };
        foreach (var host in peerHosts)
        {
            var address = Address(host);
            if (!sources.Contains(address)) sources.Add(address);
        }
        foreach (var network in standbyNetworks ?? [])
        {
            if (network.Any(char.IsWhiteSpace) || network.Length == 0)
                throw new ArgumentException($"Standby network '{network}' is not a CIDR such as 10.1.0.0/24.", nameof(standbyNetworks));
            if (!sources.Contains(network)) sources.Add(network);
        }

        var sb = new StringBuilder()
            .Append("# Written by the Appliance driver from its settings and the cluster state; do not edit.\n")
            .Append("# TYPE  DATABASE     USER  ADDRESS  METHOD\n")
            // No Unix socket is configured; this line serves an operator who adds one.
            .Append("local   all          postgres          peer\n")
            // The replication role streams and clones, nothing else: no session in any database, from anywhere.
            // ("all" never matches a replication connection, so this line leaves those to the lines below.)
            .Append(CultureInfo.InvariantCulture, $"host    all          {repl}  all  reject\n");
        foreach (var source in sources)
        {
            sb.Append(CultureInfo.InvariantCulture, $"{TypeFor(source)} all          all   {source}  scram-sha-256\n");
            sb.Append(CultureInfo.InvariantCulture, $"{TypeFor(source)} replication  {repl}  {source}  scram-sha-256\n");
        }
        foreach (var network in clientNetworks)
        {
            if (network.Any(char.IsWhiteSpace) || network.Length == 0)
                throw new ArgumentException($"Client network '{network}' is not a CIDR such as 10.0.0.0/8.", nameof(clientNetworks));
            sb.Append(CultureInfo.InvariantCulture, $"{TypeFor(network)} all          all   {network}  scram-sha-256\n");
        }
        return sb.ToString();
    }

    /// <summary>A single address as a CIDR of one host; a host name as it is (PostgreSQL resolves and verifies it).</summary>
    internal static string Address(string host)
    {
        if (string.IsNullOrWhiteSpace(host) || host.Any(char.IsWhiteSpace))
            throw new ArgumentException($"Peer host '{host}' is not usable in pg_hba.conf: give an IP address or a host name.", nameof(host));
        if (!IPAddress.TryParse(host, out var ip)) return host;
        return ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"{ip}/128" : $"{ip}/32";
    }

    private static string QuoteName(string name) =>
        name.Length is > 0 and <= 63 && name.All(c => char.IsAsciiLetterOrDigit(c) || c == '_') && !char.IsAsciiDigit(name[0])
            ? name
            : throw new ArgumentException(
                $"Replication user '{name}' is not allowed: use 1 to 63 letters, digits or '_', not starting with a digit.",
                nameof(name));
}
