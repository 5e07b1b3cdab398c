namespace Appliance.Nodes.Postgres;

/// <summary>
/// The primary as a backup from a standby reaches it: pgBackRest's <c>pg2</c>, a remote host behind its
/// <see cref="PgBackRestServer"/>. pgBackRest starts and stops the backup there (<c>pg_backup_start</c>/<c>stop</c>)
/// and copies the files from the standby (<c>pg1</c>, local to the node that runs the backup).
/// </summary>
/// <param name="Host">The primary's address (its peer id's host: the certificate must name it).</param>
/// <param name="PgPort">Its PostgreSQL port.</param>
/// <param name="DataDirectory">Its data directory on its own machine.</param>
/// <param name="ServerPort">Its pgBackRest server's port.</param>
public sealed record PrimaryEndpoint(string Host, int PgPort, string DataDirectory, int ServerPort)
{
    /// <summary>pgBackRest's backup arguments for a backup from the local standby with this primary, the client proving itself with <paramref name="tls"/>.</summary>
    public IReadOnlyList<string> Arguments(PostgresTls tls) =>
    [
        "--backup-standby",
        $"--pg2-host={Host}",
        "--pg2-host-type=tls",
        $"--pg2-host-port={ServerPort}",
        $"--pg2-host-cert-file={tls.CertFile}",
        $"--pg2-host-key-file={tls.KeyFile}",
        $"--pg2-host-ca-file={tls.CaFile}",
        $"--pg2-path={DataDirectory}",
        $"--pg2-port={PgPort}",
        $"--pg2-user={ClusterCredentials.Superuser}",
    ];
}
