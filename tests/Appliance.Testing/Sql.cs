using Appliance.Nodes.Postgres;
using Npgsql;

namespace Appliance.Testing;

/// <summary>Client-side SQL against a node, as an application would run it.</summary>
public static class Sql
{
    public static async Task<NpgsqlConnection> ConnectAsync(PostgresDriver node) => await node.Probe.OpenAsync(CancellationToken.None);

    public static async Task ExecAsync(PostgresDriver node, string sql, CancellationToken ct = default)
    {
        await using var c = await ConnectAsync(node);
        await using var cmd = new NpgsqlCommand(sql, c);
        await cmd.ExecuteNonQueryAsync(ct);
    }

    public static async Task<T> ScalarAsync<T>(PostgresDriver node, string sql)
    {
        await using var c = await ConnectAsync(node);
        await using var cmd = new NpgsqlCommand(sql, c);
        return (T)(await cmd.ExecuteScalarAsync())!;
    }

    public static async Task<long> CountAsync(PostgresDriver node, string table, string where = "true") =>
        await ScalarAsync<long>(node, $"SELECT count(*) FROM {table} WHERE {where}");

    /// <summary>Waits until <paramref name="node"/> holds the row with <paramref name="id"/> in table t.</summary>
    public static Task HasRowAsync(PostgresDriver node, int id) =>
        Eventually.TrueAsync(async () => await ScalarAsync<bool>(node, $"SELECT EXISTS (SELECT 1 FROM t WHERE id = {id})"),
            $"{node.Settings.Self.Id} has row {id}");
}
