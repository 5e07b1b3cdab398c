using Appliance.Nodes.State;
using Npgsql;

namespace Appliance.Nodes.Postgres;

/// <summary>Reads positions and health from one instance over SQL. Every call opens a fresh connection.</summary>
/// <param name="Host">Where the instance listens.</param>
/// <param name="Port">Its port.</param>
/// <param name="Credentials">The cluster credentials (the superuser's password is used).</param>
/// <param name="ConnectTimeout">Connect timeout.</param>
public sealed record InstanceProbe(string Host, int Port, ClusterCredentials Credentials, TimeSpan ConnectTimeout)
{
    /// <summary>A probe of the instance <paramref name="peer"/>.</summary>
    public static InstanceProbe Of(PeerId peer, ClusterCredentials credentials, TimeSpan connectTimeout) =>
        new(peer.Host, peer.Port, credentials, connectTimeout);

    /// <summary>Opens a superuser connection to the instance.</summary>
    public Task<NpgsqlConnection> OpenAsync(CancellationToken ct) =>
        SuperuserConnection.OpenAsync(Host, Port, Credentials, ConnectTimeout, ct);

    /// <summary>A cheap liveness check: true if <c>SELECT 1</c> answers within <paramref name="timeout"/>.</summary>
    public async Task<bool> IsAliveAsync(TimeSpan timeout, CancellationToken ct)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(timeout);
        try
        {
            await using var connection = await OpenAsync(cts.Token).ConfigureAwait(false);
            await using var command = new NpgsqlCommand("SELECT 1", connection);
            return await command.ExecuteScalarAsync(cts.Token).ConfigureAwait(false) is 1;
        }
        catch (Exception e) when (e is NpgsqlException or System.Net.Sockets.SocketException or TimeoutException ||
                                  (e is OperationCanceledException && !ct.IsCancellationRequested))
        {
            return false;
        }
    }

    // The position's timeline and that timeline's history file in one round trip, so that the history belongs to the
    // position read with it. PostgreSQL names history files in upper-case hex; timeline 1 has none. A standby without a
    // WAL receiver (its primary just died, or it is fenced) is on the newest timeline it holds a history file of (what
    // recovery_target_timeline = latest follows): its checkpoint's timeline lags until the next restartpoint, and a
    // stale one would make a standby that crossed a timeline switch look forked.
    private const string StatusSql = """
        WITH s AS (
            SELECT pg_is_in_recovery() AS recovery,
                   CASE WHEN pg_is_in_recovery()
                        THEN COALESCE((SELECT received_tli FROM pg_stat_wal_receiver),
                                      GREATEST((SELECT timeline_id FROM pg_control_checkpoint()),
                                               (SELECT max(('x' || substr(name, 1, 8))::bit(32)::int) FROM pg_ls_waldir()
                                                WHERE name ~ '^[0-9A-F]{8}\.history$')))
                        ELSE ('x' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8))::bit(32)::int
                   END AS tli)
        SELECT s.recovery,
               current_setting('default_transaction_read_only') = 'off',
               current_setting('synchronous_standby_names'),
               CASE WHEN s.recovery THEN NULL ELSE pg_current_wal_lsn()::text END,
               pg_last_wal_receive_lsn()::text,
               pg_last_wal_replay_lsn()::text,
               s.tli,
               CASE WHEN s.tli > 1
                    THEN pg_read_file('pg_wal/' || upper(lpad(to_hex(s.tli), 8, '0')) || '.history', 0, 1048576, true)
               END
        FROM s
        """;

    /// <summary>Role, read-write, timeline, its history and WAL positions.</summary>
    public async Task<InstanceStatus> ReadStatusAsync(CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct).ConfigureAwait(false);
        await using var command = new NpgsqlCommand(StatusSql, connection);
        await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
        await reader.ReadAsync(ct).ConfigureAwait(false);
        var inRecovery = reader.GetBoolean(0);
        var timeline = reader.GetInt32(6);
        // A missing file on a later timeline leaves the history unknown rather than claiming a timeline without ancestry.
        var history = timeline == 1 ? TimelineHistory.First
            : reader.IsDBNull(7) ? null
            : TimelineHistory.Parse(timeline, reader.GetString(7));
        return new InstanceStatus(
            InRecovery: inRecovery,
            ReadWrite: !inRecovery && reader.GetBoolean(1),
            Timeline: timeline,
            CurrentLsn: LsnAt(reader, 3),
            ReceivedLsn: LsnAt(reader, 4),
            ReplayedLsn: LsnAt(reader, 5),
            SynchronousStandbyNames: reader.GetString(2),
            History: history);
    }

    private const string DownstreamSql = """
        SELECT application_name, state, sent_lsn::text, write_lsn::text, flush_lsn::text, replay_lsn::text, sync_state,
               GREATEST(0, COALESCE(
                   CASE WHEN pg_is_in_recovery()
                        THEN GREATEST(pg_last_wal_receive_lsn(), pg_last_wal_replay_lsn())
                        ELSE pg_current_wal_lsn() END - replay_lsn, 0))::bigint
        FROM pg_stat_replication
        WHERE application_name = @name OR @name IS NULL
        ORDER BY application_name
        """;

    /// <summary>Every downstream connected to this instance (<c>pg_stat_replication</c>).</summary>
    public Task<IReadOnlyList<DownstreamStatus>> ReadDownstreamsAsync(CancellationToken ct) => ReadDownstreamsAsync(null, ct);

    /// <summary>The downstream with application_name <paramref name="peerId"/>, or null if it is not connected.</summary>
    public async Task<DownstreamStatus?> ReadDownstreamAsync(string peerId, CancellationToken ct) =>
        (await ReadDownstreamsAsync(peerId, ct).ConfigureAwait(false)).FirstOrDefault();

    private async Task<IReadOnlyList<DownstreamStatus>> ReadDownstreamsAsync(string? name, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct).ConfigureAwait(false);
        await using var command = new NpgsqlCommand(DownstreamSql, connection);
        command.Parameters.Add(new NpgsqlParameter<string?>("name", NpgsqlTypes.NpgsqlDbType.Text) { TypedValue = name });
        await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
        var rows = new List<DownstreamStatus>();
        while (await reader.ReadAsync(ct).ConfigureAwait(false))
        {
            rows.Add(new DownstreamStatus(
                reader.IsDBNull(0) ? "" : reader.GetString(0),
                reader.IsDBNull(1) ? "" : reader.GetString(1),
                LsnAt(reader, 2), LsnAt(reader, 3), LsnAt(reader, 4), LsnAt(reader, 5),
                reader.IsDBNull(6) ? "" : reader.GetString(6),
                (ulong)reader.GetInt64(7)));
        }
        return rows;
    }

    /// <summary>The value of a setting as a new session sees it, with the file that set it.</summary>
    public async Task<(string Value, string? SourceFile)> ReadSettingAsync(string name, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct).ConfigureAwait(false);
        await using var command = new NpgsqlCommand("SELECT setting, sourcefile FROM pg_settings WHERE name = @name", connection);
        command.Parameters.AddWithValue("name", name);
        await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
        if (!await reader.ReadAsync(ct).ConfigureAwait(false)) throw new ArgumentException($"PostgreSQL has no setting '{name}'.", nameof(name));
        return (reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetString(1));
    }

    private static Lsn? LsnAt(NpgsqlDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : Lsn.Parse(reader.GetString(ordinal));
}
