using Npgsql;

namespace Appliance.Nodes.Postgres;

/// <summary>Opens the driver's own connections: the <c>postgres</c> superuser over TCP, no pooling.</summary>
/// <remarks>
/// No pooling, so that every check after a reload runs in a fresh backend, which starts from the postmaster's
/// new configuration (a pooled backend may still hold the old one: flynn#3731).
/// </remarks>
internal static class SuperuserConnection
{
    internal static string ConnectionString(string host, int port, ClusterCredentials credentials, TimeSpan connectTimeout) =>
        PeerConnectionDefaults.Apply(new NpgsqlConnectionStringBuilder
        {
            Host = host,
            Port = port,
            Username = ClusterCredentials.Superuser,
            Password = credentials.SuperuserPassword,
            Database = "postgres",
            Pooling = false,
            Timeout = Math.Max(1, (int)Math.Ceiling(connectTimeout.TotalSeconds)),
            CommandTimeout = 0, // the caller's CancellationToken bounds every command
            ApplicationName = "appliance-driver",
            Multiplexing = false,
        }, credentials.Tls).ConnectionString;

    internal static async Task<NpgsqlConnection> OpenAsync(string host, int port, ClusterCredentials credentials,
        TimeSpan connectTimeout, CancellationToken ct)
    {
        var connection = new NpgsqlConnection(ConnectionString(host, port, credentials, connectTimeout));
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
