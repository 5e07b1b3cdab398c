namespace Appliance.Nodes.Postgres;

/// <summary>
/// The PEM files of an instance's TLS, readable by the OS user PostgreSQL runs as (the key with mode 0600, as
/// PostgreSQL demands). The server serves <see cref="CertFile"/>; every client of a peer (walreceiver,
/// pg_basebackup, pg_rewind, the driver) verifies the peer against <see cref="CaFile"/> (<c>sslmode=verify-ca</c>:
/// peers are addressed by IP, so the name is not checked).
/// </summary>
/// <param name="CertFile">The server's certificate.</param>
/// <param name="KeyFile">Its key.</param>
/// <param name="CaFile">The cluster's CA.</param>
public sealed record PostgresTls(string CertFile, string KeyFile, string CaFile)
{
    /// <summary>The files as <see cref="Install"/> puts them in <paramref name="directory"/>.</summary>
    public static PostgresTls In(string directory) =>
        new(Path.Combine(directory, "server.crt"), Path.Combine(directory, "server.key"), Path.Combine(directory, "ca.crt"));

    /// <summary>
    /// Copies the node's certificate, key and CA into <paramref name="directory"/> (mode 0700), owned by the OS user
    /// PostgreSQL runs as, the key with mode 0600: PostgreSQL refuses a key others may read, and as root the
    /// operator's own files may not be readable by postgres at all.
    /// </summary>
    /// <returns>The installed files.</returns>
    public static PostgresTls Install(string certFile, string keyFile, string caFile, string directory)
    {
        if (OperatingSystem.IsWindows()) throw new PlatformNotSupportedException("The PostgreSQL driver runs on Linux.");
        Directory.CreateDirectory(directory);
        File.SetUnixFileMode(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        PostgresOsUser.GiveToPostgres(directory);
        var installed = In(directory);
        foreach (var (from, to) in new[] { (certFile, installed.CertFile), (keyFile, installed.KeyFile), (caFile, installed.CaFile) })
        {
            // Private while still empty, as PrivateFile does, so the key is never readable by others.
            File.WriteAllBytes(to, []);
            File.SetUnixFileMode(to, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            PostgresOsUser.GiveToPostgres(to);
            File.WriteAllBytes(to, File.ReadAllBytes(from));
        }
        return installed;
    }
}
