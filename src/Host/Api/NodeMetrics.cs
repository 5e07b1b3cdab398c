using System.Text;
using Appliance.Actors.Coordinator;
using Appliance.Actors.Protocol;
using Appliance.Host.Api.Json;
using Appliance.Nodes.State;
using Prometheus;

namespace Appliance.Host.Api;

/// <summary>
/// One node's Prometheus metrics, on a prometheus-net registry of its own: the <c>appliance_*</c> gauges and counters,
/// set at each scrape from what the node already holds (its status, the newest state, the coordinator's history as
/// last read), the coordinator's histograms (<see cref="CoordinatorMetrics"/>), and, once
/// <see cref="ExportRuntime"/> runs, the process's and the .NET meters' (runtime, Kestrel, Npgsql). Nothing here
/// polls on its own: every value is read when Prometheus asks.
/// </summary>
public sealed class NodeMetrics
{
    /// <summary>The content type of the text exposition format 0.0.4.</summary>
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    /// <summary>The .NET meters exported: the runtime's GC, thread pool, JIT and memory, Kestrel's connections, ASP.NET Core's requests, Npgsql's commands and pools.</summary>
    public static readonly IReadOnlySet<string> ExportedMeters = new HashSet<string>
    {
        "System.Runtime", "Microsoft.AspNetCore.Server.Kestrel", "Microsoft.AspNetCore.Hosting", "Npgsql",
    };

    private static readonly double[] SecondsBuckets = [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30];

    private readonly object _gate = new();
    private readonly List<Collector> _perPeer = [];
    private string? _peer;

    private readonly Gauge _role, _primary, _replica, _syncStandby, _generation, _stateVersion, _readWrite, _postgresRunning,
        _pendingRestart, _selfFenced, _maintenance, _streaming, _lag, _walPosition, _walReceived, _walReplayed, _timeline,
        _backupAge, _backupTimestamp, _backupFailing, _backupFailureTimestamp, _backupRunning, _backupProblems,
        _frozen, _asyncs, _deposed, _lastTransition, _standbyCluster, _standbyLeader;
    private readonly Counter _failovers, _switchovers, _reliefs, _transitions;

    /// <summary>Creates the registry and every <c>appliance_*</c> metric.</summary>
    public NodeMetrics()
    {
        var factory = Metrics.WithCustomRegistry(Registry);
        Gauge G(string name, string help, params string[] extra)
        {
            var g = factory.CreateGauge(name, help, ["peer", .. extra]);
            _perPeer.Add(g);
            return g;
        }
        Counter C(string name, string help)
        {
            var c = factory.CreateCounter(name, help, ["peer"]);
            _perPeer.Add(c);
            return c;
        }
        _role = G("appliance_role", "1 for the role PostgreSQL plays on this node now, 0 for the others (standby-leader: a standby cluster's leader).", "role");
        _primary = G("appliance_primary", "1 if this node is the primary (Patroni's patroni_primary); 0 on a standby cluster's leader.");
        _standbyLeader = G("appliance_standby_leader", "1 if this node is a standby cluster's leader, a standby of the source cluster that takes no writes (Patroni's patroni_standby_leader).");
        _standbyCluster = G("appliance_standby_cluster", "1 if this node's cluster is a standby cluster (--standby-of): it takes no writes, so no primary is expected.");
        _replica = G("appliance_replica", "1 if this node is a sync or an async standby (Patroni's patroni_replica).");
        _syncStandby = G("appliance_sync_standby", "1 if this node is the sync standby (Patroni's patroni_sync_standby).");
        _generation = G("appliance_generation", "Generation of the newest cluster state this node holds.");
        _stateVersion = G("appliance_state_version", "Version of the newest cluster state this node holds.");
        _readWrite = G("appliance_read_write", "1 if this node is a primary that takes writes.");
        _postgresRunning = G("appliance_postgres_running", "1 if PostgreSQL answers on this node.");
        _pendingRestart = G("appliance_pending_restart", "1 if PostgreSQL holds a setting that takes effect only at a restart (appliance restart --pending).");
        _selfFenced = G("appliance_self_fenced", "1 if this primary fenced itself after losing the coordinator.");
        _maintenance = G("appliance_maintenance", "1 if an operator put this node in maintenance.");
        _streaming = G("appliance_streaming", "1 if this standby's WAL receiver streams now, from its upstream or, on a standby leader, from its source's primary (Patroni's patroni_postgres_streaming); 0 on a primary and on a leader that replays an archive.");
        _lag = G("appliance_replication_lag_bytes", "Bytes this node's replay is behind the primary (0 on the primary).");
        _walPosition = G("appliance_wal_position_bytes", "The furthest WAL position this node holds, as a byte offset.");
        _walReceived = G("appliance_wal_received_bytes", "The WAL position this standby received up to, as a byte offset (Patroni's patroni_xlog_received_location).");
        _walReplayed = G("appliance_wal_replayed_bytes", "The WAL position this standby replayed up to, as a byte offset (Patroni's patroni_xlog_replayed_location).");
        _timeline = G("appliance_timeline", "PostgreSQL's timeline on this node.");
        // Absent samples (no backup yet) rather than a made-up age: an alert on absent() says what is true.
        _backupAge = G("appliance_last_backup_age_seconds", "Seconds since the newest backup in the repository ended.");
        _backupTimestamp = G("appliance_last_backup_timestamp_seconds", "Unix time the newest backup in the repository ended.");
        _backupFailing = G("appliance_backup_failing", "1 if the last backup failed and none succeeded since.");
        _backupFailureTimestamp = G("appliance_last_backup_failure_timestamp_seconds", "Unix time the last failed backup ended, if none succeeded since.");
        _backupRunning = G("appliance_backup_running", "1 while a backup runs.");
        _backupProblems = G("appliance_backup_problems", "Backup problems verify reports (failed, overdue, none in the repository).");
        _frozen = G("appliance_cluster_frozen", "1 while the cluster is frozen.");
        _asyncs = G("appliance_cluster_asyncs", "Asyncs in the state.");
        _deposed = G("appliance_cluster_deposed", "Deposed peers in the state.");
        _failovers = C("appliance_failovers_total", "Takeovers by the sync after the primary was lost, over the cluster's history.");
        _switchovers = C("appliance_switchovers_total", "Operator switchovers, over the cluster's history.");
        _reliefs = C("appliance_coordinator_host_reliefs_total", "Planned moves of the primary or sync off the coordinator's host, over the cluster's history.");
        _transitions = C("appliance_transitions_total", "Cluster state writes, over the cluster's history.");
        _lastTransition = G("appliance_last_transition_timestamp_seconds", "Unix time of the newest cluster state write.");
        Coordinator = new CoordinatorMetrics(factory);
    }

    /// <summary>The registry every metric of this node is on.</summary>
    public CollectorRegistry Registry { get; } = Metrics.NewCustomRegistry();

    /// <summary>The histograms the coordinator records while it runs in this node's process.</summary>
    public CoordinatorMetrics Coordinator { get; }

    /// <summary>
    /// Adds the process's metrics (<c>process_*</c>, <c>dotnet_collection_count_total</c>, read at each scrape) and the
    /// <see cref="ExportedMeters"/> through prometheus-net's meter adapter, whose observable instruments (the runtime's)
    /// are also read at each scrape. Once per process: the adapter listens to the process's meters.
    /// </summary>
    /// <returns>Stops the adapter.</returns>
    public IDisposable ExportRuntime()
    {
        DotNetStats.Register(Registry);
        return MeterAdapter.StartListening(new MeterAdapterOptions
        {
            Registry = Registry,
            MetricFactory = Metrics.WithCustomRegistry(Registry),
            InstrumentFilterPredicate = i => ExportedMeters.Contains(i.Meter.Name),
            // The adapter's default is 25 buckets from 10 ms; the node's requests and queries need fewer.
            ResolveHistogramBuckets = i => i.Unit == "s" ? SecondsBuckets : MeterAdapterOptions.DefaultHistogramBuckets,
        });
    }

    /// <summary>Sets every <c>appliance_*</c> value from what the node holds now.</summary>
    /// <param name="s">This node's status.</param>
    /// <param name="state">The newest state seen, if any.</param>
    /// <param name="history">The coordinator's history as last read, if any.</param>
    public void Update(StatusDto s, ClusterState? state, IReadOnlyList<ClusterStateProtocol.StateRecorded>? history)
    {
        lock (_gate)
        {
            // In placement mode the instance a host runs can change: the old id's samples go with it.
            if (_peer is { } old && old != s.Id)
                foreach (var metric in _perPeer) RemoveAll(metric);
            _peer = s.Id;
            var id = s.Id;
            var role = MetricRole.Of(s);
            foreach (var name in MetricRole.Names)
                _role.WithLabels(id, name).Set(role == name ? 1 : 0);
            Set(_primary, id, role == ApiJson.Name(PeerRole.Primary) ? 1 : 0);
            Set(_standbyLeader, id, role == MetricRole.StandbyLeader ? 1 : 0);
            Set(_standbyCluster, id, MetricRole.StandbyCluster(s, state));
            Set(_replica, id, s.Role == ApiJson.Name(PeerRole.Sync) || s.Role == ApiJson.Name(PeerRole.Async) ? 1 : 0);
            Set(_syncStandby, id, s.Role == ApiJson.Name(PeerRole.Sync) ? 1 : 0);
            Set(_generation, id, s.Generation);
            Set(_stateVersion, id, s.StateVersion);
            Set(_readWrite, id, s.ReadWrite ? 1 : 0);
            Set(_postgresRunning, id, s.PostgresRunning ? 1 : 0);
            Set(_pendingRestart, id, s.PendingRestart ? 1 : 0);
            Set(_selfFenced, id, s.SelfFenced ? 1 : 0);
            Set(_maintenance, id, s.Maintenance ? 1 : 0);
            Set(_streaming, id, s.Streaming ? 1 : 0);
            Set(_lag, id, s.LagBytes);
            Set(_walPosition, id, Bytes(s.WalPosition));
            Set(_walReceived, id, Bytes(s.ReceivedLsn));
            Set(_walReplayed, id, Bytes(s.ReplayedLsn));
            Set(_timeline, id, s.Timeline);
            var b = s.Backups;
            Set(_backupAge, id, b?.LastAgeSeconds);
            Set(_backupTimestamp, id, b?.LastStop?.ToUnixTimeMilliseconds() / 1000.0);
            Set(_backupFailing, id, b is null ? null : b.Failure is null ? 0 : 1);
            Set(_backupFailureTimestamp, id, b?.FailedAt?.ToUnixTimeMilliseconds() / 1000.0);
            Set(_backupRunning, id, b is null ? null : b.RunningPercent is null ? 0 : 1);
            Set(_backupProblems, id, b?.Problems.Count);
            Set(_frozen, id, state is null ? null : state.IsFrozen ? 1 : 0);
            Set(_asyncs, id, state?.Async.Length);
            Set(_deposed, id, state?.Deposed.Length);
            if (history is not null)
            {
                // The history only grows, so the counts only grow: IncTo keeps the counters monotonic all the same.
                _failovers.WithLabels(id).IncTo(history.Count(h => h.Reason == TransitionReason.SyncTakeover));
                _switchovers.WithLabels(id).IncTo(history.Count(h => h.Reason == TransitionReason.Switchover));
                _reliefs.WithLabels(id).IncTo(history.Count(h => h.Reason == TransitionReason.CoordinatorHostRelieved));
                _transitions.WithLabels(id).IncTo(history.Count);
            }
            Set(_lastTransition, id, history is { Count: > 0 } ? history[^1].At.ToUnixTimeMilliseconds() / 1000.0 : null);
        }
    }

    /// <summary>The text exposition of every metric on <see cref="Registry"/>.</summary>
    public async Task<string> TextAsync(CancellationToken ct)
    {
        using var buffer = new MemoryStream();
        await Registry.CollectAndExportAsTextAsync(buffer, ct);
        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    /// <summary>A value, or no sample at all where the node does not know it.</summary>
    private static void Set(Gauge gauge, string id, double? value)
    {
        if (value is { } v) gauge.WithLabels(id).Set(v);
        else gauge.RemoveLabelled(id);
    }

    private static double? Bytes(string? lsn) => lsn is { } w && Lsn.TryParse(w, out var parsed) ? parsed.Value : null;

    private static void RemoveAll(Collector metric)
    {
        switch (metric)
        {
            case Gauge g: foreach (var labels in g.GetAllLabelValues().ToList()) g.RemoveLabelled(labels); break;
            case Counter c: foreach (var labels in c.GetAllLabelValues().ToList()) c.RemoveLabelled(labels); break;
        }
    }
}
