using System.Globalization;
using Appliance.Nodes.State;
using Npgsql;

namespace Appliance.Chaos;

/// <summary>Where a primary's WAL stands: the timeline it writes, how far it has written and flushed.</summary>
/// <param name="Timeline">The timeline it inserts WAL on.</param>
/// <param name="Written">pg_current_wal_lsn(): written out (the walsenders send less than this).</param>
/// <param name="Flushed">pg_current_wal_flush_lsn(): on disk, so it survives a kill -9 of the machine's processes.</param>
public sealed record WalEnd(int Timeline, Lsn Written, Lsn Flushed)
{
    /// <inheritdoc/>
    public override string ToString() => $"tl{Timeline} {Flushed}";
}

/// <summary>A standby's WAL receiver (<c>pg_stat_wal_receiver</c>) and how far it has replayed.</summary>
/// <param name="Status">The receiver's status (<c>streaming</c>), or null when no receiver runs.</param>
/// <param name="Timeline">The timeline it receives (<c>received_tli</c>), or null.</param>
/// <param name="Replayed">pg_last_wal_replay_lsn(), or null.</param>
public sealed record WalReceiver(string? Status, int? Timeline, Lsn? Replayed);

/// <summary>
/// WAL positions, timeline histories and table contents read from a node's PostgreSQL over SQL, as the superuser:
/// what the server itself says, not what the node's API reports, so that the checks do not take the product's word.
/// </summary>
public static class WalProbe
{
    /// <summary>Opens a connection to <paramref name="n"/> (the caller disposes it).</summary>
    public static async Task<NpgsqlConnection> OpenAsync(ChaosNode n)
    {
        var c = new NpgsqlConnection(Workload.ConnectionString(n));
        try { await c.OpenAsync(); }
        catch
        {
            await c.DisposeAsync();
            throw;
        }
        return c;
    }

    /// <summary>A primary's WAL end (fails on a standby: pg_walfile_name needs the insert timeline).</summary>
    public static async Task<WalEnd> EndAsync(NpgsqlConnection c)
    {
        await using var cmd = new NpgsqlCommand("SELECT pg_walfile_name(f), pg_current_wal_lsn()::text, f::text FROM pg_current_wal_flush_lsn() f", c);
        await using var r = await cmd.ExecuteReaderAsync();
        await r.ReadAsync();
        // A WAL file's name starts with its timeline in 8 hex digits.
        return new WalEnd(int.Parse(r.GetString(0)[..8], NumberStyles.HexNumber, CultureInfo.InvariantCulture),
            Lsn.Parse(r.GetString(1)), Lsn.Parse(r.GetString(2)));
    }

    /// <summary>How far a standby has received (and flushed) WAL from its upstream; null if it never has.</summary>
    public static async Task<Lsn?> ReceivedAsync(ChaosNode n)
    {
        await using var c = await OpenAsync(n);
        await using var cmd = new NpgsqlCommand("SELECT pg_last_wal_receive_lsn()::text", c);
        return await cmd.ExecuteScalarAsync() is string text ? Lsn.Parse(text) : null;
    }

    /// <summary>A primary's timeline and its history, parsed from the history file in its <c>pg_wal</c>.</summary>
    public static async Task<TimelineHistory> PrimaryHistoryAsync(ChaosNode n)
    {
        await using var c = await OpenAsync(n);
        var timeline = (await EndAsync(c)).Timeline;
        return await HistoryAsync(c, timeline)
            ?? throw new ChaosCheckException($"{n.Name} runs on timeline {timeline} but has no history file for it");
    }

    /// <summary>The history of <paramref name="timeline"/> as the file in the server's <c>pg_wal</c> has it; null when that file is missing.</summary>
    public static async Task<TimelineHistory?> HistoryAsync(NpgsqlConnection c, int timeline)
    {
        if (timeline == 1) return TimelineHistory.First;   // timeline 1 has no file
        await using var cmd = new NpgsqlCommand("SELECT pg_read_file($1, 0, 1048576, true)", c);
        cmd.Parameters.AddWithValue($"pg_wal/{timeline:X8}.history");
        return await cmd.ExecuteScalarAsync() is string text ? TimelineHistory.Parse(timeline, text) : null;
    }

    /// <summary>A standby's WAL receiver and replay position.</summary>
    public static async Task<WalReceiver> ReceiverAsync(NpgsqlConnection c)
    {
        await using var cmd = new NpgsqlCommand(
            "SELECT w.status, w.received_tli, pg_last_wal_replay_lsn()::text FROM (SELECT 1) one LEFT JOIN pg_stat_wal_receiver w ON true", c);
        await using var r = await cmd.ExecuteReaderAsync();
        await r.ReadAsync();
        return new WalReceiver(r.IsDBNull(0) ? null : r.GetString(0), r.IsDBNull(1) ? null : r.GetInt32(1),
            r.IsDBNull(2) ? null : Lsn.Parse(r.GetString(2)));
    }

    /// <summary>The negative ids in table <c>chaos</c>: rows the harness committed on a primary alone (no client writes them).</summary>
    public static async Task<IReadOnlyList<long>> ForkedIdsAsync(NpgsqlConnection c)
    {
        await using var cmd = new NpgsqlCommand("SELECT id FROM chaos WHERE id < 0 ORDER BY id", c);
        await using var r = await cmd.ExecuteReaderAsync();
        var ids = new List<long>();
        while (await r.ReadAsync()) ids.Add(r.GetInt64(0));
        return ids;
    }

    /// <summary>The ids in table <c>chaos</c>: how many, and a digest of all of them in order.</summary>
    public static async Task<string> RowsAsync(NpgsqlConnection c)
    {
        await using var cmd = new NpgsqlCommand("SELECT count(*) || ' ids, md5 ' || coalesce(md5(string_agg(id::text, ',' ORDER BY id)), '-') FROM chaos", c);
        return (string)(await cmd.ExecuteScalarAsync())!;
    }
}
