using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Appliance.Nodes.Backup;

namespace Appliance.Nodes.Postgres;

/// <summary>
/// The <c>pgbackrest server</c> of one node (pgBackRest ≥ 2.37): the TLS endpoint through which a backup running on a
/// standby's node reaches this node's PostgreSQL when it is the primary (<c>--backup-standby</c> with this node as
/// <c>pg2-host</c>). Secure by default: it serves only with the node's certificate, accepts only clients whose
/// certificate the cluster's CA signed <em>and</em> whose common name is one of <paramref name="Clients"/> (the
/// cluster's nodes), and only for the cluster's stanza.
/// </summary>
/// <param name="Address">The address it listens on (the node's <c>--host</c>).</param>
/// <param name="Port">Its TCP port (<c>--backup-server-port</c>).</param>
/// <param name="Tls">The node's certificate, key and CA, as installed for PostgreSQL (owned by the postgres OS user, who runs the server).</param>
/// <param name="Clients">The certificate common names allowed in: the names of the cluster's nodes.</param>
public sealed record PgBackRestServer(string Address, int Port, PostgresTls Tls, IReadOnlyList<string> Clients)
{
    /// <summary>The config file the server reads: the node's own pgBackRest config (so the commands it runs for a client see this node's data directory, port, locks and logs) with the server's options added.</summary>
    public static string ConfigFile(BackupSettings settings) => Path.Combine(settings.Directory, "server.conf");

    /// <summary>The server's config file text for the node whose instance is <paramref name="dataDirectory"/> on <paramref name="port"/>.</summary>
    /// <exception cref="ArgumentException">No client, or a client name that would break the config file.</exception>
    public string Render(BackupSettings settings, string dataDirectory, int port)
    {
        if (Clients.Count == 0) throw new ArgumentException("A pgBackRest server needs at least one allowed client.");
        if (Clients.FirstOrDefault(c => c.Length == 0 || c.IndexOfAny(['=', '\n', '\r', ',', '*']) >= 0) is { } bad)
            throw new ArgumentException($"'{bad}' cannot be a client name of the pgBackRest server.");
        var lines = new List<string>
        {
            "# Written by the appliance for its pgbackrest server; do not edit.",
            "[global]",
            $"tls-server-address={Address}",
            $"tls-server-port={Port}",
            $"tls-server-cert-file={Tls.CertFile}",
            $"tls-server-key-file={Tls.KeyFile}",
            $"tls-server-ca-file={Tls.CaFile}",
        };
        // One line per client, each for this stanza alone: never the wildcard stanza, never an unknown name.
        lines.AddRange(Clients.Distinct().Order(StringComparer.Ordinal).Select(c => $"tls-server-auth={c}={settings.Stanza}"));
        var own = PgBackRestConfig.Render(settings, dataDirectory, port).Split('\n').SkipWhile(l => l != "[global]").Skip(1);
        lines.AddRange(own);
        return string.Join('\n', lines);
    }

    /// <summary>
    /// The name a client must dial to reach a server at <paramref name="address"/> whose certificate names
    /// <paramref name="certificateNames"/>, or null if there is none. pgBackRest 2.45 checks the host it dials against
    /// the certificate's DNS names and common name only, never its IP addresses, so a node addressed by IP is dialled by
    /// a DNS name of its certificate that resolves to that IP (the test and demo certificates name <c>localhost</c>).
    /// </summary>
    /// <param name="address">The node's <c>--host</c>: a DNS name is dialled as it is (the certificate must name it).</param>
    /// <param name="certificateNames">The certificate's DNS names, then its common name.</param>
    /// <param name="resolve">Resolves a name to its addresses (empty when it does not resolve).</param>
    public static string? DialName(string address, IEnumerable<string> certificateNames, Func<string, IReadOnlyList<IPAddress>> resolve)
    {
        if (!IPAddress.TryParse(address, out var ip)) return address;
        return certificateNames.Where(n => n.Length > 0 && !n.Contains('*') && !IPAddress.TryParse(n, out _))
            .FirstOrDefault(n => resolve(n).Any(a => a.Equals(ip)));
    }

    /// <summary>The DNS names of the certificate in <paramref name="certFile"/> (PEM), then its common name.</summary>
    /// <exception cref="CryptographicException">The file holds no certificate.</exception>
    public static IReadOnlyList<string> CertificateNames(string certFile)
    {
        using var certificate = X509Certificate2.CreateFromPem(File.ReadAllText(certFile));
        var dns = certificate.Extensions.OfType<X509SubjectAlternativeNameExtension>().SelectMany(e => e.EnumerateDnsNames());
        return [.. dns, certificate.GetNameInfo(X509NameType.SimpleName, forIssuer: false)];
    }

    /// <summary>Writes the server's config file (0600, owned by the postgres OS user) and returns its path.</summary>
    public async Task<string> WriteAsync(BackupSettings settings, string dataDirectory, int port, CancellationToken ct)
    {
        var path = ConfigFile(settings);
        await PrivateFile.WriteAsync(path, Render(settings, dataDirectory, port), ct).ConfigureAwait(false);
        return path;
    }
}
