using Appliance.Nodes.Postgres;

namespace Appliance.Nodes.Backup;

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
        if (Clients.Count == 0) throw new ArgumentException("A pgBackRest server needs at least one allowed client.", nameof(Clients));
        if (Clients.FirstOrDefault(c => c.Length == 0 || c.IndexOfAny(['=', '\n', '\r', ',', '*']) >= 0) is { } bad)
            throw new ArgumentException($"'{bad}' cannot be a client name of the pgBackRest server.", nameof(Clients));
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

    /// <summary>Writes the server's config file (0600, owned by the postgres OS user) and returns its path.</summary>
    public async Task<string> WriteAsync(BackupSettings settings, string dataDirectory, int port, CancellationToken ct)
    {
        var path = ConfigFile(settings);
        await PrivateFile.WriteAsync(path, Render(settings, dataDirectory, port), ct).ConfigureAwait(false);
        return path;
    }
}
