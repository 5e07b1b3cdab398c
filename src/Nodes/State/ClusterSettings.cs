using System.Collections.Frozen;
using System.Collections.Immutable;
using System.Text.RegularExpressions;

namespace Appliance.Nodes.State;

/// <summary>
/// What an operator may put in <see cref="ClusterState.Settings"/>: any PostgreSQL setting except the ones the
/// appliance owns for safety (<see cref="OwnedReason"/>). Names are PostgreSQL's, lower case; whether a value is one
/// PostgreSQL accepts is checked against PostgreSQL itself before the command is submitted (the node's
/// <c>SettingsCheck</c>), since only PostgreSQL knows its types, units, ranges and enums.
/// </summary>
public static partial class ClusterSettings
{
    private const string Replication = "the appliance sets it for the node's role (replication and synchronous commit)";
    private const string Server = "the appliance sets it from the node's own options";
    private const string Durability = "turning it off can lose acknowledged writes or break pg_rewind";

    /// <summary>Owned settings by exact name, with why.</summary>
    private static readonly FrozenDictionary<string, string> Owned = new Dictionary<string, string>
    {
        ["synchronous_standby_names"] = Replication,
        ["synchronous_commit"] = Replication + "; the commit guard refuses anything below on while a sync is named",
        ["default_transaction_read_only"] = Replication + "; a primary is read-only until its sync caught up",
        ["primary_conninfo"] = Replication,
        ["primary_slot_name"] = Replication + " (it retains WAL by wal_keep_size, not slots)",
        ["wal_keep_size"] = Replication + " (--wal-keep-size tuning)",
        ["max_wal_senders"] = Replication,
        ["wal_level"] = Replication,
        ["hot_standby"] = Replication,
        ["wal_log_hints"] = "pg_rewind needs it",
        ["full_page_writes"] = Durability,
        ["fsync"] = Durability,
        ["restore_command"] = "recovery is driven by the appliance",
        ["recovery_end_command"] = "recovery is driven by the appliance",
        ["archive_cleanup_command"] = "recovery is driven by the appliance",
        ["promote_trigger_file"] = "only the appliance promotes",
        ["listen_addresses"] = Server + " (--host)",
        ["port"] = Server + " (--pg-port)",
        ["unix_socket_directories"] = Server + " (no Unix socket)",
        ["cluster_name"] = Server + " (the peer id)",
        ["hba_file"] = "the appliance writes pg_hba.conf from the cluster state",
        ["ident_file"] = Server,
        ["config_file"] = Server,
        ["data_directory"] = Server + " (--data-dir)",
        ["external_pid_file"] = Server,
        ["shared_preload_libraries"] = "the appliance preloads its commit guard (appliance_guard) and owns the list",
        ["password_encryption"] = "the appliance's roles use SCRAM",
        ["logging_collector"] = "the node reads PostgreSQL's log from its standard error",
        ["log_destination"] = "the node reads PostgreSQL's log from its standard error",
    }.ToFrozenDictionary();

    /// <summary>Owned settings by prefix, with why.</summary>
    private static readonly (string Prefix, string Why)[] OwnedPrefixes =
    [
        ("recovery_target", "recovery is driven by the appliance"),
        ("ssl", "the appliance sets TLS from --tls-cert, --tls-key and --tls-ca"),
        ("archive_", "WAL archiving belongs to the appliance's backups"),
    ];

    /// <summary>
    /// The settings that were hard-coded before cluster settings existed; a node writes its own tuning for them
    /// (128MB and 100 by default) unless the cluster sets them.
    /// </summary>
    public static readonly ImmutableArray<string> WithNodeDefaults = ["shared_buffers", "max_connections"];

    /// <summary>The longest value accepted (a configuration line, not a file).</summary>
    public const int MaxValueLength = 4096;

    [GeneratedRegex("^[a-z][a-z0-9_]*$")]
    private static partial Regex NamePattern();

    /// <summary>A name as PostgreSQL compares it: trimmed, lower case.</summary>
    public static string Normalize(string name) => name.Trim().ToLowerInvariant();

    /// <summary>Why the appliance owns <paramref name="name"/>, or null if an operator may set it.</summary>
    public static string? OwnedReason(string name)
    {
        var n = Normalize(name);
        if (Owned.TryGetValue(n, out var why)) return why;
        foreach (var (prefix, reason) in OwnedPrefixes)
            if (n.StartsWith(prefix, StringComparison.Ordinal)) return reason;
        return null;
    }

    /// <summary>What is wrong with <paramref name="name"/> as a setting name, or null.</summary>
    public static string? NameProblem(string name)
    {
        var n = Normalize(name);
        if (n.Length == 0) return "a setting needs a name";
        if (n.Contains('.'))
            return $"'{n}' is an extension setting; those are not supported, since PostgreSQL accepts any such name and a typo could not be caught";
        if (!NamePattern().IsMatch(n)) return $"'{name}' is not a PostgreSQL setting name (letters, digits and underscores)";
        if (OwnedReason(n) is { } why) return $"{n} is owned by the appliance: {why}";
        return null;
    }

    /// <summary>What is wrong with <paramref name="value"/> as a value the configuration file can carry, or null.</summary>
    public static string? ValueProblem(string name, string value)
    {
        if (value.IndexOfAny(['\n', '\r', '\0']) >= 0) return $"the value of {name} holds a line break or NUL, which a configuration file cannot carry";
        if (value.Length > MaxValueLength) return $"the value of {name} is longer than {MaxValueLength} characters";
        return null;
    }

    /// <summary>Every problem of a stored settings map, each as a sentence (for <see cref="ClusterState.Validate"/>).</summary>
    public static IEnumerable<string> Problems(IReadOnlyDictionary<string, string> settings)
    {
        foreach (var (name, value) in settings)
        {
            if (name != Normalize(name)) yield return $"setting '{name}' is not in lower case";
            else if (NameProblem(name) is { } p) yield return p;
            if (ValueProblem(name, value) is { } v) yield return v;
        }
    }
}
