using System.Globalization;

namespace Appliance.Nodes.Postgres;

/// <summary>Renders <see cref="ApplianceConfig"/> as the text of <c>appliance.conf</c>.</summary>
internal static class ApplianceConfigFile
{
    /// <summary>The file's name inside the data directory.</summary>
    public const string FileName = "appliance.conf";

    /// <summary>The line appended once to <c>postgresql.conf</c>; last in the file, so the appliance's keys win.</summary>
    public const string IncludeLine = "include_if_exists = '" + FileName + "'";

    /// <summary><c>wal_retrieve_retry_interval</c> of a standby that streams, and of every other role.</summary>
    public const string RetrieveRetry = "'1s'";

    /// <summary><c>wal_retrieve_retry_interval</c> of a standby that follows an archive (PostgreSQL's default).</summary>
    public const string ArchiveRetrieveRetry = "'5s'";

    /// <summary>The whole file.</summary>
    public static string Render(ApplianceConfig config)
    {
        var s = config.Server;
        var r = config.Role;
        var lines = new List<string>
        {
            "# Written by the Appliance driver; every role change rewrites it. Do not edit.",
            "# Put your own settings in postgresql.conf: this file is included last and owns only the keys below.",
            "",
            "# Defaults; a cluster-wide setting overrides them.",
            // How long a standby's startup process waits before it tries its upstream again once its receiver stopped
            // (the upstream restarted, the standby was re-pointed, the link dropped). PostgreSQL's 5 s was the longest
            // part of every such reconnect: a rolling restart's step waited it out, and so did a standby behind a
            // restarted one. A standby that follows an archive keeps 5 s, or it would run restore_command every second.
            // A default rather than an owned key: no rule depends on it, and operators may have set it before.
            Setting("wal_retrieve_retry_interval", r.RestoreCommand is null ? RetrieveRetry : ArchiveRetrieveRetry),
            "",
            "# Cluster-wide settings (appliance config set); the keys below override them.",
            ClusterSettingsFile.IncludeLine,
            "",
            "# Server (a change needs a restart)",
            Setting("listen_addresses", ConfValue.Quote(s.ListenAddress)),
            Setting("port", Int(s.Port)),
            // No Unix socket: the driver and its tools talk TCP, and a socket directory shared between instances
            // (or unwritable by the postgres user) is a failure mode we do not need.
            Setting("unix_socket_directories", "''"),
            Setting("cluster_name", ConfValue.Quote(s.ClusterName)),
            Setting("max_wal_senders", Int(s.MaxWalSenders)),
            Setting("wal_level", "replica"),
            Setting("hot_standby", "on"),
            // pg_rewind needs hint bits WAL-logged; checksums do that too, this covers data directories without them.
            Setting("wal_log_hints", "on"),
            Setting("recovery_target_timeline", "'latest'"),
            // Refuses client commits below synchronous_commit = on while a sync is named (ext/appliance_guard).
            Setting("shared_preload_libraries", ConfValue.Quote(CommitGuard.LibraryName)),
            Setting("ssl", s.Tls is null ? "off" : "on"),
            Setting("ssl_cert_file", ConfValue.Quote(s.Tls?.CertFile ?? "server.crt")),
            Setting("ssl_key_file", ConfValue.Quote(s.Tls?.KeyFile ?? "server.key")),
            Setting("ssl_ca_file", ConfValue.Quote(s.Tls?.CaFile ?? "")),
            Setting("ssl_min_protocol_version", "'TLSv1.2'"),
            // On every instance, not 'always': a standby never archives, so only the primary does, and a promoted
            // standby archives its new timeline from its first segment (docs/ARCHITECTURE.md, "Backups").
            Setting("archive_mode", s.ArchiveCommand is null ? "off" : "on"),
            Setting("archive_command", ConfValue.Quote(s.ArchiveCommand ?? "")),
            // A quiet primary still archives a partial segment this often, which bounds what a lost site loses.
            Setting("archive_timeout", s.ArchiveCommand is null ? "0" : "'5min'"),
            "",
            "# Role (a reload applies it)",
            Setting("synchronous_commit", "on"),
            Setting("synchronous_standby_names", ConfValue.Quote(r.SynchronousStandbyNames)),
            Setting("default_transaction_read_only", r.ReadOnly ? "on" : "off"),
            Setting("primary_conninfo", ConfValue.Quote(r.PrimaryConnInfo?.Render() ?? "")),
            Setting("wal_keep_size", ConfValue.Quote(r.WalKeepSize)),
            Setting("password_encryption", "'scram-sha-256'"),
        };
        // Only a standby leader that follows an archive has one; elsewhere the line is absent, so a reload after it
        // (the leader promoted or demoted) puts the setting back to its default, and no restore leaves one behind.
        if (r.RestoreCommand is { } restore) lines.Add(Setting("restore_command", ConfValue.Quote(restore)));
        lines.Add("");
        return string.Join('\n', lines);
    }

    /// <summary><c>postgresql.conf</c> with the include line appended, or unchanged if it already has it.</summary>
    public static string WithInclude(string postgresqlConf)
    {
        var has = postgresqlConf.Split('\n').Any(l => l.Trim() == IncludeLine);
        if (has) return postgresqlConf;
        var sep = postgresqlConf.Length == 0 || postgresqlConf.EndsWith('\n') ? "" : "\n";
        return postgresqlConf + sep + "\n# Appliance-owned settings; keep this line last.\n" + IncludeLine + "\n";
    }

    private static string Setting(string key, string value) => $"{key} = {value}";

    private static string Int(int value) => value.ToString(CultureInfo.InvariantCulture);
}
