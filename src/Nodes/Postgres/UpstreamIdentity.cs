using System.Net.Sockets;
using Appliance.Nodes.State;
using Npgsql;

namespace Appliance.Nodes.Postgres;

/// <summary>Which cluster and major version an upstream runs, asked over SQL before anything local changes.</summary>
/// <param name="SystemIdentifier">The upstream cluster's system identifier.</param>
/// <param name="MajorVersion">The upstream server's major version.</param>
internal sealed record UpstreamIdentity(ulong SystemIdentifier, int MajorVersion)
{
    /// <summary>Connects to <paramref name="upstream"/> as the superuser and reads its identity.</summary>
    /// <exception cref="UpstreamUnreachableException">It does not answer, or refuses the connection.</exception>
    public static async Task<UpstreamIdentity> ReadAsync(PeerId upstream, ClusterCredentials credentials, TimeSpan connectTimeout,
        CancellationToken ct)
    {
        try
        {
            await using var connection = await DriverConnection.OpenSuperuserAsync(upstream.Host, upstream.Port, credentials, connectTimeout, ct)
                .ConfigureAwait(false);
            // The replication password's version too: a node about to clone holds no catalog of its own to read it from.
            await using var command = new NpgsqlCommand(
                "SELECT system_identifier, current_setting('server_version_num')::int / 10000, " +
                "(SELECT shobj_description(oid, 'pg_authid') FROM pg_roles WHERE rolname = @replication) FROM pg_control_system()", connection)
            {
                Parameters = { new("replication", credentials.ReplicationUser) },
            };
            await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
            await reader.ReadAsync(ct).ConfigureAwait(false);
            credentials.Secret?.UseReplicationVersion(ApplianceRoles.ReplicationVersionOf(reader.IsDBNull(2) ? null : reader.GetString(2)));
            return new UpstreamIdentity((ulong)reader.GetInt64(0), reader.GetInt32(1));
        }
        catch (Exception e) when (e is NpgsqlException or SocketException or TimeoutException && !ct.IsCancellationRequested)
        {
            throw new UpstreamUnreachableException(upstream, e.Message, e);
        }
    }

    /// <summary>Throws unless a data directory with <paramref name="localSystemIdentifier"/> may follow this upstream.</summary>
    public void RequireSameCluster(string dataDirectory, ulong localSystemIdentifier, PeerId upstream)
    {
        if (localSystemIdentifier != SystemIdentifier)
            throw new ForeignDataDirectoryException(dataDirectory, localSystemIdentifier, SystemIdentifier, $"upstream {upstream}");
    }

    /// <summary>Throws unless the upstream runs the binaries' major version.</summary>
    public void RequireMajorVersion(PostgresBinaries binaries, PeerId upstream)
    {
        if (MajorVersion != binaries.MajorVersion)
            throw new WrongMajorVersionException($"Upstream {upstream}", MajorVersion, binaries.MajorVersion, binaries.BinDirectory);
    }
}
