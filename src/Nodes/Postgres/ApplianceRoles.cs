using Npgsql;

namespace Appliance.Nodes.Postgres;

/// <summary>
/// The roles the appliance keeps, made by the primary and copied to standbys by replication: the replication role
/// (<c>LOGIN REPLICATION</c>, nothing else) and the monitoring role (<c>LOGIN</c>, a member of <c>pg_monitor</c>, and
/// allowed to call <see cref="HistoryFunction"/>), each with the password <see cref="ClusterCredentials"/> gives.
/// </summary>
/// <remarks>
/// The monitoring role does not get <c>pg_read_file</c>: with it, it could read every file of the data directory, the
/// tables' own files included. It gets one <c>SECURITY DEFINER</c> function that reads only a timeline history file.
/// </remarks>
public static class ApplianceRoles
{
    /// <summary>The schema of <see cref="HistoryFunction"/>, in the <c>postgres</c> database.</summary>
    public const string Schema = "appliance";

    /// <summary>The function that returns the history file of a timeline (null when it is missing), as a regprocedure.</summary>
    public const string HistoryFunction = Schema + ".timeline_history(integer)";

    /// <summary>Its body: the history file's name from the number alone, so no caller can name another file.</summary>
    internal const string HistoryFunctionBody =
        "SELECT pg_read_file('pg_wal/' || upper(lpad(to_hex(timeline), 8, '0')) || '.history', 0, 1048576, true)";

    private const string HistorySearchPath = "pg_catalog, pg_temp";

    private const string CheckSql = """
        SELECT (SELECT rolpassword FROM pg_authid WHERE rolname = @replication AND rolcanlogin AND rolreplication
                   AND NOT (rolsuper OR rolcreaterole OR rolcreatedb OR rolbypassrls)),
               (SELECT rolpassword FROM pg_authid WHERE rolname = @monitor AND rolcanlogin
                   AND NOT (rolreplication OR rolsuper OR rolcreaterole OR rolcreatedb OR rolbypassrls)),
               EXISTS (SELECT 1 FROM pg_roles r, pg_proc f
                       WHERE r.rolname = @monitor AND f.oid = to_regprocedure(@function)
                         AND pg_has_role(r.oid, 'pg_monitor', 'MEMBER')
                         AND f.prosecdef AND f.prosrc = @body AND f.proconfig = @config
                         AND pg_get_userbyid(f.proowner) = current_user
                         AND has_function_privilege(r.oid, f.oid, 'EXECUTE')
                         AND NOT has_function_privilege('public', f.oid, 'EXECUTE')),
               (SELECT shobj_description(oid, 'pg_authid') FROM pg_roles WHERE rolname = @replication)
        """;

    /// <summary>
    /// The version of the replication role's password, which the role's comment records
    /// (<c>appliance/replication/vN</c>, see <see cref="DerivedPassword.ReplicationPurposeOf"/>): replication copies it to
    /// every standby with the password itself, so every node can tell which one is in use. No comment: version 1.
    /// </summary>
    public const string ReplicationVersionSql =
        "SELECT shobj_description(oid, 'pg_authid') FROM pg_roles WHERE rolname = @replication";

    /// <summary>The version a replication role's comment names; 1 for none or another text.</summary>
    public static int ReplicationVersionOf(string? comment) =>
        comment is not null && comment.StartsWith("appliance/replication/v", StringComparison.Ordinal)
        && int.TryParse(comment.AsSpan("appliance/replication/v".Length), System.Globalization.NumberStyles.None,
            System.Globalization.CultureInfo.InvariantCulture, out var v) && v >= 1
            ? v
            : 1;

    /// <summary>
    /// Creates the roles, or corrects their attributes, passwords and grants, in one transaction on
    /// <paramref name="connection"/> (a superuser's, to a primary). Writes nothing when everything already is as it should
    /// be, so it can run at every start and promotion of a primary.
    /// </summary>
    /// <returns>True if it changed anything.</returns>
    /// <remarks>
    /// The primary is read-only and names a sync that may not be able to connect before the replication role has its
    /// password, so this one transaction is explicitly read-write and does not wait for the sync. No client commit can:
    /// appliance_guard refuses them, and only a superuser may set its escape hatch, for this transaction alone. A commit
    /// lost in a failover is made again by the next primary's start or promotion.
    /// </remarks>
    public static async Task<bool> EnsureAsync(NpgsqlConnection connection, ClusterCredentials credentials, CancellationToken ct)
    {
        await using var tx = await connection.BeginTransactionAsync(ct).ConfigureAwait(false);
        await ExecuteAsync(connection, tx,
            $"SET TRANSACTION READ WRITE; SET LOCAL {CommitGuard.AllowLocalCommitSetting} = on; SET LOCAL synchronous_commit = local", ct)
            .ConfigureAwait(false);

        string? replicationVerifier, monitorVerifier;
        bool grantsInPlace;
        await using (var check = new NpgsqlCommand(CheckSql, connection, tx))
        {
            check.Parameters.AddWithValue("replication", credentials.ReplicationUser);
            check.Parameters.AddWithValue("monitor", ClusterCredentials.MonitorUser);
            check.Parameters.AddWithValue("function", HistoryFunction);
            check.Parameters.AddWithValue("body", HistoryFunctionBody);
            check.Parameters.AddWithValue("config", new[] { $"search_path={HistorySearchPath}" });
            await using var reader = await check.ExecuteReaderAsync(ct).ConfigureAwait(false);
            await reader.ReadAsync(ct).ConfigureAwait(false);
            replicationVerifier = reader.IsDBNull(0) ? null : reader.GetString(0);
            monitorVerifier = reader.IsDBNull(1) ? null : reader.GetString(1);
            grantsInPlace = reader.GetBoolean(2);
            // A rotated password stays rotated: this runs at every start and promotion, and must not set version 1 again.
            credentials.Secret?.UseReplicationVersion(ReplicationVersionOf(reader.IsDBNull(3) ? null : reader.GetString(3)));
        }

        var changed = false;
        if (!ScramVerifier.Verifies(replicationVerifier, credentials.ReplicationPassword))
        {
            await SetRoleAsync(connection, tx, credentials.ReplicationUser, "LOGIN REPLICATION", credentials.ReplicationPassword, ct).ConfigureAwait(false);
            changed = true;
        }
        if (!ScramVerifier.Verifies(monitorVerifier, credentials.MonitorPassword))
        {
            await SetRoleAsync(connection, tx, ClusterCredentials.MonitorUser, "LOGIN NOREPLICATION", credentials.MonitorPassword, ct).ConfigureAwait(false);
            changed = true;
        }
        if (!grantsInPlace)
        {
            const string monitor = ClusterCredentials.MonitorUser;
            await ExecuteAsync(connection, tx, $"""
                GRANT pg_monitor TO {monitor};
                CREATE SCHEMA IF NOT EXISTS {Schema};
                CREATE OR REPLACE FUNCTION {Schema}.timeline_history(timeline integer) RETURNS text
                    LANGUAGE sql STABLE STRICT SECURITY DEFINER SET search_path = {HistorySearchPath}
                    AS $body${HistoryFunctionBody}$body$;
                REVOKE ALL ON FUNCTION {HistoryFunction} FROM PUBLIC;
                GRANT USAGE ON SCHEMA {Schema} TO {monitor};
                GRANT EXECUTE ON FUNCTION {HistoryFunction} TO {monitor};
                """, ct).ConfigureAwait(false);
            changed = true;
        }
        if (changed) await tx.CommitAsync(ct).ConfigureAwait(false);
        return changed;
    }

    /// <summary>
    /// Gives the replication role the password of the next version, and records that version in its comment, in one
    /// transaction on <paramref name="connection"/> (a superuser's, to the primary, which must take writes: the commit waits
    /// for the sync like any other). Standbys keep streaming on the connections they have; each node reads the new version
    /// from its own copy of the catalog at its next status read and writes its password file again.
    /// </summary>
    /// <returns>The new version.</returns>
    /// <exception cref="InvalidOperationException">The credentials do not follow a <see cref="ClusterSecret"/>.</exception>
    public static async Task<int> RotateReplicationAsync(NpgsqlConnection connection, ClusterCredentials credentials, CancellationToken ct)
    {
        var secret = credentials.Secret ?? throw new InvalidOperationException("Rotation needs credentials derived from a cluster secret.");
        await using var tx = await connection.BeginTransactionAsync(ct).ConfigureAwait(false);
        int version;
        await using (var read = new NpgsqlCommand(ReplicationVersionSql, connection, tx))
        {
            read.Parameters.AddWithValue("replication", credentials.ReplicationUser);
            version = ReplicationVersionOf(await read.ExecuteScalarAsync(ct).ConfigureAwait(false) as string) + 1;
        }
        await SetRoleAsync(connection, tx, credentials.ReplicationUser, "LOGIN REPLICATION",
            DerivedPassword.Derive(secret.Password, DerivedPassword.ReplicationPurposeOf(version)), ct).ConfigureAwait(false);
        await CommentAsync(connection, tx, credentials.ReplicationUser, DerivedPassword.ReplicationPurposeOf(version), ct).ConfigureAwait(false);
        await tx.CommitAsync(ct).ConfigureAwait(false);
        secret.UseReplicationVersion(version);
        return version;
    }

    /// <summary>
    /// Gives the superuser <paramref name="newPassword"/>, and the replication and monitoring roles the passwords derived
    /// from it, in one transaction on <paramref name="connection"/> (a superuser's, to the primary, which must take writes).
    /// Every node then follows: PostgreSQL refuses its old password, and its <see cref="ClusterSecret"/> takes the candidate
    /// it accepts.
    /// </summary>
    /// <exception cref="InvalidOperationException">The credentials do not follow a <see cref="ClusterSecret"/>.</exception>
    public static async Task RotateSuperuserAsync(NpgsqlConnection connection, ClusterCredentials credentials, string newPassword,
        CancellationToken ct)
    {
        var secret = credentials.Secret ?? throw new InvalidOperationException("Rotation needs credentials derived from a cluster secret.");
        await using var tx = await connection.BeginTransactionAsync(ct).ConfigureAwait(false);
        int version;
        await using (var read = new NpgsqlCommand(ReplicationVersionSql, connection, tx))
        {
            read.Parameters.AddWithValue("replication", credentials.ReplicationUser);
            version = ReplicationVersionOf(await read.ExecuteScalarAsync(ct).ConfigureAwait(false) as string);
        }
        await using (var build = new NpgsqlCommand("SELECT format('ALTER ROLE %I PASSWORD %L', @role::text, @secret::text)", connection, tx))
        {
            build.Parameters.AddWithValue("role", ClusterCredentials.Superuser);
            build.Parameters.AddWithValue("secret", ScramVerifier.CanHash(newPassword) ? ScramVerifier.Create(newPassword) : newPassword);
            await ExecuteAsync(connection, tx, (string)(await build.ExecuteScalarAsync(ct).ConfigureAwait(false))!, ct).ConfigureAwait(false);
        }
        await SetRoleAsync(connection, tx, credentials.ReplicationUser, "LOGIN REPLICATION",
            DerivedPassword.Derive(newPassword, DerivedPassword.ReplicationPurposeOf(version)), ct).ConfigureAwait(false);
        await SetRoleAsync(connection, tx, ClusterCredentials.MonitorUser, "LOGIN NOREPLICATION",
            DerivedPassword.Derive(newPassword, DerivedPassword.MonitorPurpose), ct).ConfigureAwait(false);
        await tx.CommitAsync(ct).ConfigureAwait(false);
        secret.UsePassword(newPassword);
    }

    private static async Task CommentAsync(NpgsqlConnection connection, NpgsqlTransaction tx, string role, string comment, CancellationToken ct)
    {
        await using var build = new NpgsqlCommand("SELECT format('COMMENT ON ROLE %I IS %L', @role::text, @comment::text)", connection, tx);
        build.Parameters.AddWithValue("role", role);
        build.Parameters.AddWithValue("comment", comment);
        await ExecuteAsync(connection, tx, (string)(await build.ExecuteScalarAsync(ct).ConfigureAwait(false))!, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Creates or alters <paramref name="role"/> to exactly <paramref name="attributes"/> (no superuser, no role or
    /// database creation, no RLS bypass) and <paramref name="password"/>, sent as a SCRAM verifier when it can be computed
    /// here, so that a statement log shows no password.
    /// </summary>
    private static async Task SetRoleAsync(NpgsqlConnection connection, NpgsqlTransaction tx, string role, string attributes,
        string password, CancellationToken ct)
    {
        string ddl;
        await using (var build = new NpgsqlCommand(
            "SELECT format(CASE WHEN EXISTS (SELECT 1 FROM pg_roles WHERE rolname = @role) THEN 'ALTER' ELSE 'CREATE' END || " +
            $"' ROLE %I WITH {attributes} NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS PASSWORD %L', @role::text, @secret::text)",
            connection, tx))
        {
            build.Parameters.AddWithValue("role", role);
            build.Parameters.AddWithValue("secret", ScramVerifier.CanHash(password) ? ScramVerifier.Create(password) : password);
            ddl = (string)(await build.ExecuteScalarAsync(ct).ConfigureAwait(false))!;
        }
        await ExecuteAsync(connection, tx, ddl, ct).ConfigureAwait(false);
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, NpgsqlTransaction tx, string sql, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(sql, connection, tx);
        await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }
}
