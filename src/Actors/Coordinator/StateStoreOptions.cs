using System.Text;
using Akka.Configuration;
using Akka.Persistence.Sql;

namespace Appliance.Actors.Coordinator;

/// <summary>Which database holds the coordinator's journal and snapshots.</summary>
public enum StateStoreKind
{
    /// <summary>One SQLite file: the embedded default, for clusters on one machine, the demo and tests.</summary>
    Sqlite,

    /// <summary>A PostgreSQL database of its own (never one of the managed instances), for clusters across machines.</summary>
    Postgres,
}

/// <summary>
/// Where the coordinator persists, rendered as the Akka.Persistence.Sql configuration (journal, snapshot store and
/// read journal). SQLite is the default; PostgreSQL is one setting away.
/// </summary>
/// <remarks>
/// The compare-and-set that keeps a stale coordinator from writing rests on the journal's unique
/// (persistence_id, sequence_number) key, so every coordinator of a cluster must use the same database: with per-node
/// SQLite files there is no fence at all. <c>auto-initialize</c> creates the tables and that key.
/// <para>
/// The serializer binding (<c>ApplianceSerialization.Config</c>) is not part of it: the serialization folder knows the
/// coordinator's events, so the coordinator must not know it back. Whoever builds the system adds both (the node host
/// does, as do the tests); without the binding, events would be written by Akka's default serializer.
/// </para>
/// </remarks>
/// <param name="Kind">SQLite or PostgreSQL.</param>
/// <param name="ConnectionString">An ADO.NET connection string for Microsoft.Data.Sqlite or Npgsql.</param>
public sealed record StateStoreOptions(StateStoreKind Kind, string ConnectionString)
{
    /// <summary>The persistence id of the one coordinator; stored in every row, never change it.</summary>
    public const string PersistenceId = "appliance-cluster-state";

    /// <summary>The read journal <c>GetHistory</c> queries.</summary>
    public const string QueryPluginId = "akka.persistence.query.journal.sql";

    /// <summary>
    /// How often the read journal's sequence actor reads the journal's highest ordering (Akka.Persistence.Sql's
    /// <c>journal-sequence-retrieval.query-delay</c>). Nothing here queries by ordering, so it only costs a read of
    /// the state store; a day keeps an idle cluster's store unread.
    /// </summary>
    public const string SequencePollDelay = "1d";

    /// <summary>A SQLite file at <paramref name="path"/> (created if missing).</summary>
    public static StateStoreOptions Sqlite(string path) => new(StateStoreKind.Sqlite, $"Data Source={path}");

    /// <summary>A PostgreSQL database, e.g. <c>Host=10.0.0.9;Port=5432;Database=appliance;Username=appliance;Password=…</c>.</summary>
    public static StateStoreOptions Postgres(string connectionString) => new(StateStoreKind.Postgres, connectionString);

    /// <summary>Parses the command line's <c>--state-store</c>: <c>sqlite:PATH</c> or <c>postgres:CONNSTRING</c>.</summary>
    /// <exception cref="FormatException">Neither form; the message shows both.</exception>
    public static StateStoreOptions Parse(string spec)
    {
        if (spec.StartsWith("sqlite:", StringComparison.Ordinal) && spec.Length > "sqlite:".Length)
            return Sqlite(spec["sqlite:".Length..]);
        if (spec.StartsWith("postgres:", StringComparison.Ordinal) && spec.Length > "postgres:".Length)
            return Postgres(spec["postgres:".Length..]);
        throw new FormatException($"State store '{spec}' is not understood: use sqlite:PATH or postgres:CONNECTION-STRING.");
    }

    /// <summary>The linq2db provider name: the most specific one, so that linq2db does not probe the server.</summary>
    public string ProviderName => Kind switch
    {
        StateStoreKind.Sqlite => "SQLite.MS",
        StateStoreKind.Postgres => "PostgreSQL.15",
        _ => throw new ArgumentOutOfRangeException(nameof(Kind), Kind, "Unknown state store kind."),
    };

    /// <summary>The HOCON for journal, snapshot store and read journal.</summary>
    public string ToHocon()
    {
        var connection = Quote(ConnectionString);
        var provider = Quote(ProviderName);
        return $$"""
            akka.persistence {
              journal {
                plugin = "akka.persistence.journal.sql"
                sql {
                  connection-string = {{connection}}
                  provider-name = {{provider}}
                  auto-initialize = true
                }
              }
              snapshot-store {
                plugin = "akka.persistence.snapshot-store.sql"
                sql {
                  connection-string = {{connection}}
                  provider-name = {{provider}}
                  auto-initialize = true
                }
              }
              query.journal.sql {
                connection-string = {{connection}}
                provider-name = {{provider}}
                write-plugin = "akka.persistence.journal.sql"
                # The read journal's sequence actor polls the journal's highest ordering every query-delay (1 s by
                # default) from the first query on, for ever; only the ordering queries (all events, by tag) use it,
                # and the coordinator's history and PersistedStateReader read by persistence id. At 1 s it was the
                # only reader of an idle cluster's state store (a SQLite read transaction a second).
                journal-sequence-retrieval.query-delay = {{SequencePollDelay}}
              }
            }
            """;
    }

    /// <summary>
    /// <see cref="ToHocon"/>, parsed, over Akka.Persistence.Sql's defaults (plugin classes, table layout), which a
    /// system does not load by itself. With Akka.Hosting, <c>WithSqlPersistence</c> brings those defaults instead.
    /// </summary>
    public Config ToConfig() => ConfigurationFactory.ParseString(ToHocon()).WithFallback(SqlPersistence.DefaultConfiguration);

    /// <summary>Names the kind only: the connection string may hold a password.</summary>
    public override string ToString() => $"{Kind} state store";

    /// <summary>A HOCON quoted string: connection strings hold '=', ';' and perhaps quotes or backslashes.</summary>
    private static string Quote(string value)
    {
        var sb = new StringBuilder("\"");
        foreach (var c in value)
        {
            if (c is '"' or '\\') sb.Append('\\');
            sb.Append(c);
        }
        return sb.Append('"').ToString();
    }
}
