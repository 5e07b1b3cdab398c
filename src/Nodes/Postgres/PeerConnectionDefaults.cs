using Npgsql;

namespace Appliance.Nodes.Postgres;

/// <summary>
/// What every connection between the appliance's own processes and PostgreSQL leaves out: anything that could wait on
/// a name service. The failover path must not stall on a resolver that is slow or unreachable during an incident.
/// </summary>
/// <remarks>
/// Npgsql's default GSS encryption mode (<c>Prefer</c>) first tries a Kerberos-encrypted session, and to name the
/// service it resolves the server's address; with no answering resolver every peer connection waited out its timeout
/// and the cluster never formed. Peers are addressed by IP and authenticate with passwords, so GSS buys nothing here.
/// libpq (walreceiver, pg_basebackup, pg_rewind) gets the same through <c>gssencmode=disable</c> in <see cref="ConnInfo"/>.
/// </remarks>
public static class PeerConnectionDefaults
{
    /// <summary>Applies the defaults to <paramref name="builder"/> and returns it.</summary>
    /// <param name="builder">A connection to a peer.</param>
    /// <param name="tls">With TLS on, the connection is encrypted and the server verified against our CA.</param>
    public static NpgsqlConnectionStringBuilder Apply(NpgsqlConnectionStringBuilder builder, PostgresTls? tls = null)
    {
        builder.GssEncryptionMode = GssEncryptionMode.Disable;
        if (tls is not null) VerifyAgainst(builder, tls.CaFile);
        return builder;
    }

    /// <summary>
    /// Requires TLS and a server certificate signed by <paramref name="caFile"/>'s CA. No host name check: peers are
    /// addressed by IP, and every certificate our CA signed is one of ours.
    /// </summary>
    public static NpgsqlConnectionStringBuilder VerifyAgainst(NpgsqlConnectionStringBuilder builder, string caFile)
    {
        builder.SslMode = SslMode.VerifyCA;
        builder.RootCertificate = caFile;
        return builder;
    }
}
