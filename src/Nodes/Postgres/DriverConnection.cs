using Npgsql;

namespace Appliance.Nodes.Postgres;

/// <summary>
/// Opens the driver's own connections over TCP, no pooling: as the <c>postgres</c> superuser for administrative work, as
/// the monitoring role (<see cref="ClusterCredentials.MonitorUser"/>) for status reads.
/// </summary>
/// <remarks>
/// No pooling, so that every check after a reload runs in a fresh backend, which starts from the postmaster's
/// new configuration (a pooled backend may still hold the old one: flynn#3731).
/// </remarks>
internal static class DriverConnection
{
    /// <remarks>A refused password is not the end when the credentials follow a <see cref="ClusterSecret"/>: the cluster's
    /// password may have been rotated, and the secret then finds the candidate PostgreSQL accepts.</remarks>
    internal static Task<NpgsqlConnection> OpenSuperuserAsync(string host, int port, ClusterCredentials credentials,
        TimeSpan connectTimeout, CancellationToken ct) =>
        credentials.Secret is { } secret
            ? secret.OpenWithFallbackAsync(password => OpenAsync(host, port, ClusterCredentials.Superuser, password, credentials.Tls, connectTimeout, ct))
            : OpenAsync(host, port, ClusterCredentials.Superuser, credentials.SuperuserPassword, credentials.Tls, connectTimeout, ct);

    internal static Task<NpgsqlConnection> OpenMonitorAsync(string host, int port, ClusterCredentials credentials,
        TimeSpan connectTimeout, CancellationToken ct) =>
        OpenAsync(host, port, ClusterCredentials.MonitorUser, credentials.MonitorPassword, credentials.Tls, connectTimeout, ct);

    private static string ConnectionString(string host, int port, string user, string password, PostgresTls? tls, TimeSpan connectTimeout) =>
        PeerConnectionDefaults.Apply(new NpgsqlConnectionStringBuilder
        {
            Host = host,
            Port = port,
            Username = user,
            Password = password,
            Database = "postgres",
            Pooling = false,
            Timeout = Math.Max(1, (int)Math.Ceiling(connectTimeout.TotalSeconds)),
            CommandTimeout = 0, // the caller's CancellationToken bounds every command
            ApplicationName = "appliance-driver",
            Multiplexing = false,
        }, tls).ConnectionString;

    private static async Task<NpgsqlConnection> OpenAsync(string host, int port, string user, string password,
        PostgresTls? tls, TimeSpan connectTimeout, CancellationToken ct)
    {
        var connection = new NpgsqlConnection(ConnectionString(host, port, user, password, tls, connectTimeout));
        try
        {
            await connection.OpenAsync(ct).ConfigureAwait(false);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }
}
