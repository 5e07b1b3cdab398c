using System.Globalization;
using System.Text;
using Appliance.Actors.Protocol;
using Appliance.Nodes.State;

namespace Appliance.Host.Api;

/// <summary>Prometheus text exposition (format 0.0.4) of one node.</summary>
public static class Metrics
{
    /// <summary>Renders the metrics.</summary>
    /// <param name="s">This node's status.</param>
    /// <param name="state">The newest state seen, if any.</param>
    /// <param name="history">The coordinator's history as last read, if any.</param>
    public static string Render(StatusDto s, ClusterState? state, IReadOnlyList<ClusterStateProtocol.StateRecorded>? history)
    {
        var sb = new StringBuilder();
        var id = Label(s.Id);
        void Metric(string name, string type, string help, params (string Labels, double? Value)[] samples)
        {
            sb.Append("# HELP ").Append(name).Append(' ').Append(help).Append('\n');
            sb.Append("# TYPE ").Append(name).Append(' ').Append(type).Append('\n');
            foreach (var (labels, value) in samples)
                if (value is { } v)
                    sb.Append(name).Append("{peer=\"").Append(id).Append('"').Append(labels).Append("} ")
                      .Append(v.ToString("R", CultureInfo.InvariantCulture)).Append('\n');
        }

        Metric("appliance_role", "gauge", "1 for the role PostgreSQL plays on this node now, 0 for the others.",
            [.. Enum.GetValues<PeerRole>().Select(r => ($",role=\"{ApiJson.Name(r)}\"", (double?)(s.Role == ApiJson.Name(r) ? 1 : 0)))]);
        Metric("appliance_generation", "gauge", "Generation of the newest cluster state this node holds.", ("", s.Generation));
        Metric("appliance_state_version", "gauge", "Version of the newest cluster state this node holds.", ("", s.StateVersion));
        Metric("appliance_read_write", "gauge", "1 if this node is a primary that takes writes.", ("", s.ReadWrite ? 1 : 0));
        Metric("appliance_postgres_running", "gauge", "1 if PostgreSQL answers on this node.", ("", s.PostgresRunning ? 1 : 0));
        Metric("appliance_pending_restart", "gauge", "1 if PostgreSQL holds a setting that takes effect only at a restart (appliance restart --pending).", ("", s.PendingRestart ? 1 : 0));
        Metric("appliance_self_fenced", "gauge", "1 if this primary fenced itself after losing the coordinator.", ("", s.SelfFenced ? 1 : 0));
        Metric("appliance_replication_lag_bytes", "gauge", "Bytes this node's replay is behind the primary (0 on the primary).", ("", s.LagBytes));
        Metric("appliance_wal_position_bytes", "gauge", "The furthest WAL position this node holds, as a byte offset.",
            ("", s.WalPosition is { } w && Lsn.TryParse(w, out var lsn) ? lsn.Value : null));
        Metric("appliance_timeline", "gauge", "PostgreSQL's timeline on this node.", ("", s.Timeline));
        if (s.Backups is { } b)
        {
            // Absent samples (no backup yet) rather than a made-up age: an alert on absent() says what is true.
            Metric("appliance_last_backup_age_seconds", "gauge", "Seconds since the newest backup in the repository ended.", ("", b.LastAgeSeconds));
            Metric("appliance_last_backup_timestamp_seconds", "gauge", "Unix time the newest backup in the repository ended.",
                ("", b.LastStop?.ToUnixTimeMilliseconds() / 1000.0));
            Metric("appliance_backup_failing", "gauge", "1 if the last backup failed and none succeeded since.", ("", b.Failure is null ? 0 : 1));
            Metric("appliance_last_backup_failure_timestamp_seconds", "gauge", "Unix time the last failed backup ended, if none succeeded since.",
                ("", b.FailedAt?.ToUnixTimeMilliseconds() / 1000.0));
            Metric("appliance_backup_running", "gauge", "1 while a backup runs.", ("", b.RunningPercent is null ? 0 : 1));
            Metric("appliance_backup_problems", "gauge", "Backup problems verify reports (failed, overdue, none in the repository).", ("", b.Problems.Count));
        }
        if (state is not null)
        {
            Metric("appliance_cluster_frozen", "gauge", "1 while the cluster is frozen.", ("", state.IsFrozen ? 1 : 0));
            Metric("appliance_cluster_asyncs", "gauge", "Asyncs in the state.", ("", state.Async.Length));
            Metric("appliance_cluster_deposed", "gauge", "Deposed peers in the state.", ("", state.Deposed.Length));
        }
        if (history is not null)
        {
            Metric("appliance_failovers_total", "counter", "Takeovers by the sync after the primary was lost, over the cluster's history.",
                ("", history.Count(h => h.Reason == TransitionReason.SyncTakeover)));
            Metric("appliance_switchovers_total", "counter", "Operator switchovers, over the cluster's history.",
                ("", history.Count(h => h.Reason == TransitionReason.Switchover)));
            Metric("appliance_coordinator_host_reliefs_total", "counter",
                "Planned moves of the primary or sync off the coordinator's host, over the cluster's history.",
                ("", history.Count(h => h.Reason == TransitionReason.CoordinatorHostRelieved)));
            Metric("appliance_transitions_total", "counter", "Cluster state writes, over the cluster's history.", ("", history.Count));
            if (history.Count > 0)
                Metric("appliance_last_transition_timestamp_seconds", "gauge", "Unix time of the newest cluster state write.",
                    ("", history[^1].At.ToUnixTimeMilliseconds() / 1000.0));
        }
        return sb.ToString();
    }

    private static string Label(string value) => value.Replace("\\", "\\\\").Replace("\"", "\\\"").Replace("\n", "\\n");
}
