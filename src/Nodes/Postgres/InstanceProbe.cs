using Appliance.Nodes.State;
using Npgsql;

namespace Appliance.Nodes.Postgres;

/// <summary>
/// Reads positions and health from one instance over SQL. Every call opens a fresh connection (the node's periodic
/// report reads through <see cref="StatusSession"/> instead); the reads run as the monitoring role (<see cref="OpenMonitorAsync"/>), which can read but not write.
/// </summary>
/// <param name="Host">Where the instance listens.</param>
/// <param name="Port">Its port.</param>
/// <param name="Credentials">The cluster credentials (the monitoring role's, and the superuser's for <see cref="OpenAsync"/>).</param>
/// <param name="ConnectTimeout">Connect timeout.</param>
public sealed record InstanceProbe(string Host, int Port, ClusterCredentials Credentials, TimeSpan ConnectTimeout)
{
    /// <summary>A probe of the instance <paramref name="peer"/>.</summary>
    public static InstanceProbe Of(PeerId peer, ClusterCredentials credentials, TimeSpan connectTimeout) =>
        new(peer.Host, peer.Port, credentials, connectTimeout);

    /// <summary>Opens a superuser connection to the instance, for the driver's administrative work.</summary>
    public Task<NpgsqlConnection> OpenAsync(CancellationToken ct) =>
        DriverConnection.OpenSuperuserAsync(Host, Port, Credentials, ConnectTimeout, ct);

    /// <summary>
    /// Opens a connection for reading, as the monitoring role (<see cref="ClusterCredentials.MonitorUser"/>).
    /// </summary>
    /// <remarks>
    /// The primary makes that role (<see cref="ApplianceRoles"/>), and standbys receive it by replication. Before it exists
    /// its login is refused, and the superuser's connection is used instead: a new cluster's first status reads (before its
    /// first primary has made the role), a standby cloned just before, a peer of a version without the role during an
    /// upgrade. Only then: once the role exists, its login succeeds and nothing falls back.
    /// </remarks>
    public async Task<NpgsqlConnection> OpenMonitorAsync(CancellationToken ct)
    {
        try
        {
            return await DriverConnection.OpenMonitorAsync(Host, Port, Credentials, ConnectTimeout, ct).ConfigureAwait(false);
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.InvalidPassword)
        {
            // PostgreSQL answers a role that does not exist (yet) as a wrong password, so as not to tell who exists.
            return await OpenAsync(ct).ConfigureAwait(false);
        }
    }

    /// <summary>A cheap liveness check: true if <c>SELECT 1</c> answers within <paramref name="timeout"/>.</summary>
    public async Task<bool> IsAliveAsync(TimeSpan timeout, CancellationToken ct)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(timeout);
        try
        {
            await using var connection = await OpenMonitorAsync(cts.Token).ConfigureAwait(false);
            await using var command = new NpgsqlCommand("SELECT 1", connection);
            return await command.ExecuteScalarAsync(cts.Token).ConfigureAwait(false) is 1;
        }
        catch (Exception e) when (e is NpgsqlException or System.Net.Sockets.SocketException or TimeoutException ||
                                  (e is OperationCanceledException && !ct.IsCancellationRequested))
        {
            return false;
        }
    }

    // A primary writes its current timeline; a standby with a WAL receiver is on the timeline it receives (what it
    // replays later was received on that history). A standby without one (its primary just died, it is fenced, or it
    // cannot follow a history that forked below it) is asked for the timeline it replays (ReplayTimelineAsync): its
    // checkpoint's timeline lags until the next restartpoint, and the newest history file in pg_wal can name a timeline
    // it refused to follow (the WAL receiver fetches history files before it asks to stream).
    private const string StatusSql = """
        SELECT pg_is_in_recovery(),
               current_setting('default_transaction_read_only') = 'off',
               current_setting('synchronous_standby_names'),
               CASE WHEN pg_is_in_recovery() THEN NULL ELSE pg_current_wal_lsn()::text END,
               pg_last_wal_receive_lsn()::text,
               pg_last_wal_replay_lsn()::text,
               CASE WHEN pg_is_in_recovery()
                    THEN (SELECT received_tli FROM pg_stat_wal_receiver WHERE pid IS NOT NULL)
                    ELSE ('x' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8))::bit(32)::int
               END,
               (SELECT timeline_id FROM pg_control_checkpoint()),
               (SELECT shobj_description(oid, 'pg_authid') FROM pg_roles WHERE rolname = @replication),
               (SELECT coalesce(string_agg(name, ',' ORDER BY name), '') FROM pg_settings WHERE pending_restart) AS pending_restart,
               (SELECT sum(xact_commit) FROM pg_stat_database)::bigint AS xact_commit,
               pg_is_in_recovery() AND EXISTS (SELECT 1 FROM pg_stat_wal_receiver WHERE status = 'streaming') AS receiving
        """;

    /// <summary>Role, read-write, timeline, its history and WAL positions.</summary>
    public async Task<InstanceStatus> ReadStatusAsync(CancellationToken ct)
    {
        await using var connection = await OpenMonitorAsync(ct).ConfigureAwait(false);
        return await ReadStatusAsync(connection, ct).ConfigureAwait(false);
    }

    /// <summary>Role, read-write, timeline, its history and WAL positions, read on <paramref name="connection"/> (<see cref="StatusSession"/>).</summary>
    internal async Task<InstanceStatus> ReadStatusAsync(NpgsqlConnection connection, CancellationToken ct)
    {
        InstanceStatus status;
        await using (var command = new NpgsqlCommand(StatusSql, connection) { Parameters = { new("replication", Credentials.ReplicationUser) } })
        await using (var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false))
        {
            await reader.ReadAsync(ct).ConfigureAwait(false);
            // A rotated replication password reaches this node with the catalog; its password file follows (ClusterSecret).
            Credentials.Secret?.UseReplicationVersion(ApplianceRoles.ReplicationVersionOf(reader.IsDBNull(8) ? null : reader.GetString(8)));
            var inRecovery = reader.GetBoolean(0);
            status = new InstanceStatus(
                InRecovery: inRecovery,
                ReadWrite: !inRecovery && reader.GetBoolean(1),
                Timeline: reader.IsDBNull(6) ? -1 : reader.GetInt32(6),
                CurrentLsn: LsnAt(reader, 3),
                ReceivedLsn: LsnAt(reader, 4),
                ReplayedLsn: LsnAt(reader, 5),
                SynchronousStandbyNames: reader.GetString(2))
            {
                PendingRestart = reader.GetString(reader.GetOrdinal("pending_restart")).Split(',', StringSplitOptions.RemoveEmptyEntries),
                Commits = reader.IsDBNull(reader.GetOrdinal("xact_commit")) ? null : reader.GetInt64(reader.GetOrdinal("xact_commit")),
                Receiving = reader.GetBoolean(reader.GetOrdinal("receiving")),
            };
            if (status.Timeline < 0)
                status = status with { Timeline = await ReplayTimelineAsync(ct).ConfigureAwait(false) ?? reader.GetInt32(7) };
        }
        return status with { History = await ReadHistoryAsync(connection, status.Timeline, ct).ConfigureAwait(false) };
    }

    /// <summary>
    /// The timeline a standby replays, from <c>IDENTIFY_SYSTEM</c> over a replication connection (on a standby it
    /// answers the replay timeline); null when that connection fails, and the caller falls back to the checkpoint's.
    /// </summary>
    private async Task<int?> ReplayTimelineAsync(CancellationToken ct) => (await IdentifyStandbyAsync(ct).ConfigureAwait(false))?.Timeline;

    /// <summary>
    /// A standby's <c>IDENTIFY_SYSTEM</c> over a replication connection: the timeline it replays, and the end of the WAL
    /// it holds on that timeline (the received end where the receiver streamed that timeline, else the replayed end;
    /// PostgreSQL keeps the received end after its receiver exits). Null when that connection fails.
    /// </summary>
    public async Task<(int Timeline, Lsn Held)?> IdentifyStandbyAsync(CancellationToken ct)
    {
        try
        {
            await using var replication = new Npgsql.Replication.PhysicalReplicationConnection(PeerConnectionDefaults.Apply(new NpgsqlConnectionStringBuilder
            {
                Host = Host,
                Port = Port,
                Username = Credentials.ReplicationUser,
                Password = Credentials.ReplicationPassword,
                Pooling = false,
                Timeout = Math.Max(1, (int)Math.Ceiling(ConnectTimeout.TotalSeconds)),
                ApplicationName = "appliance-timeline-probe",
            }, Credentials.Tls).ConnectionString);
            await replication.Open(ct).ConfigureAwait(false);
            var identity = await replication.IdentifySystem(ct).ConfigureAwait(false);
            return (checked((int)identity.Timeline), new Lsn((ulong)identity.XLogPos));
        }
        catch (Exception e) when (e is NpgsqlException or System.Net.Sockets.SocketException or TimeoutException)
        {
            return null;
        }
    }

    /// <summary>
    /// The history file of <paramref name="timeline"/> from the instance's <c>pg_wal</c>, parsed; timeline 1 has
    /// none. Null when the file is missing: a later timeline without its ancestry is not claimed.
    /// </summary>
    /// <remarks>The monitoring role reads it through the one function it may call; the superuser (the fallback of
    /// <see cref="OpenMonitorAsync"/>, before that function exists) reads the file itself.</remarks>
    private static async Task<TimelineHistory?> ReadHistoryAsync(NpgsqlConnection connection, int timeline, CancellationToken ct)
    {
        if (timeline <= 1) return TimelineHistory.First;
        await using var command = connection.UserName == ClusterCredentials.MonitorUser
            ? new NpgsqlCommand($"SELECT {ApplianceRoles.Schema}.timeline_history({timeline})", connection)
            : new NpgsqlCommand($"SELECT pg_read_file('pg_wal/{timeline:X8}.history', 0, 1048576, true)", connection);
        return await command.ExecuteScalarAsync(ct).ConfigureAwait(false) is string text ? TimelineHistory.Parse(timeline, text) : null;
    }

    /// <summary>
    /// A standby's progress for its stall check (<see cref="StandbyStall"/>): whether its WAL receiver streams, where its
    /// replay stands, and, only when it does not stream, its history. On a fresh connection; the node's checks read it
    /// on the kept status session instead (<see cref="PostgresDriver.ReadStandbyProgressAsync"/>).
    /// </summary>
    public async Task<StandbyProgress> ReadStandbyProgressAsync(CancellationToken ct)
    {
        await using var connection = await OpenMonitorAsync(ct).ConfigureAwait(false);
        return await ReadStandbyProgressAsync(connection, ct).ConfigureAwait(false);
    }

    private const string ReceiverSql = """
        SELECT pg_is_in_recovery() AND EXISTS (SELECT 1 FROM pg_stat_wal_receiver WHERE status = 'streaming'),
               pg_last_wal_replay_lsn()::text
        """;

    /// <summary>
    /// <see cref="ReadStandbyProgressAsync(CancellationToken)"/> on <paramref name="connection"/>. A standby that streams
    /// (the common case, checked every few seconds) costs one query: the rule needs neither its history nor the
    /// replication connection that reading it may open (<c>IDENTIFY_SYSTEM</c>) unless it has stopped streaming.
    /// </summary>
    internal async Task<StandbyProgress> ReadStandbyProgressAsync(NpgsqlConnection connection, CancellationToken ct)
    {
        await using (var command = new NpgsqlCommand(ReceiverSql, connection))
        await using (var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false))
        {
            await reader.ReadAsync(ct).ConfigureAwait(false);
            if (reader.GetBoolean(0)) return new StandbyProgress(true, LsnAt(reader, 1) ?? Lsn.Zero, History: null);
        }
        var status = await ReadStatusAsync(connection, ct).ConfigureAwait(false);
        return new StandbyProgress(false, status.AppliedPosition, status.History);
    }

    // Only whole segment files count: pg_wal also holds .history, .partial and .backup files and archive_status.
    private const string OldestSegmentSql = """
        SELECT (SELECT min(name) FROM pg_ls_waldir() WHERE name ~ '^[0-9A-F]{24}$'),
               (SELECT setting::bigint FROM pg_settings WHERE name = 'wal_segment_size')
        """;

    /// <summary>
    /// What the instance still holds of its WAL (its oldest segment in <c>pg_wal</c>) and its history: what a downstream
    /// can still stream from it (<see cref="StandbyStall"/>).
    /// </summary>
    public async Task<UpstreamWal> ReadWalHeldAsync(CancellationToken ct)
    {
        await using var connection = await OpenMonitorAsync(ct).ConfigureAwait(false);
        var status = await ReadStatusAsync(connection, ct).ConfigureAwait(false);
        await using var command = new NpgsqlCommand(OldestSegmentSql, connection);
        await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
        await reader.ReadAsync(ct).ConfigureAwait(false);
        var segmentSize = (ulong)reader.GetInt64(1);
        // An empty pg_wal cannot happen on a running server; read as "holds nothing below its own position".
        var oldest = reader.IsDBNull(0) ? status.Position.Value / segmentSize : SegmentNumber(reader.GetString(0), segmentSize);
        return new UpstreamWal(oldest, segmentSize, status.History, status.Position);
    }

    /// <summary>The segment number of a WAL file name (<c>TTTTTTTTXXXXXXXXYYYYYYYY</c>: timeline, then the segment's LSN
    /// split into its high 32 bits and the segment within them).</summary>
    internal static ulong SegmentNumber(string walFileName, ulong segmentSize)
    {
        var high = Convert.ToUInt64(walFileName.Substring(8, 8), 16);
        var low = Convert.ToUInt64(walFileName.Substring(16, 8), 16);
        return high * (0x1_0000_0000UL / segmentSize) + low;
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
        await using var connection = await OpenMonitorAsync(ct).ConfigureAwait(false);
        return await ReadDownstreamsAsync(connection, name, ct).ConfigureAwait(false);
    }

    /// <summary>The walsenders (every one, or the one named <paramref name="name"/>), read on <paramref name="connection"/> (<see cref="PeerSession"/>).</summary>
    internal static async Task<IReadOnlyList<DownstreamStatus>> ReadDownstreamsAsync(NpgsqlConnection connection, string? name, CancellationToken ct)
    {
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
        await using var connection = await OpenMonitorAsync(ct).ConfigureAwait(false);
        await using var command = new NpgsqlCommand("SELECT setting, sourcefile FROM pg_settings WHERE name = @name", connection);
        command.Parameters.AddWithValue("name", name);
        await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
        if (!await reader.ReadAsync(ct).ConfigureAwait(false)) throw new ArgumentException($"PostgreSQL has no setting '{name}'.", nameof(name));
        return (reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetString(1));
    }

    private static Lsn? LsnAt(NpgsqlDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : Lsn.Parse(reader.GetString(ordinal));
}
