using System.Text.Json;
using Appliance.Actors.Protocol;
using Appliance.Host.Api;
using Appliance.Host.Api.Json;
using Appliance.Host.Cli;
using Appliance.Host.Node;
using Appliance.Nodes.State;
using Spectre.Console;

namespace Appliance.Host.Tests.Unit;

[Trait("Category", "Unit")]
public sealed class RoleCheckTests
{
    // received: the standby's pg_last_wal_receive_lsn(); by default set exactly when it streams.
    private static StatusDto Status(string role, bool rw = false, bool running = true, bool streaming = false, ulong? lag = null, bool fenced = false,
        string? assigned = null, bool? received = null) =>
        new("n1", "127.0.0.1", 5432, role, assigned ?? role, 3, 3, 1, running, rw, fenced, streaming, 1, "0/3000000",
            received ?? streaming ? "0/3000000" : null, null, lag, null, null, 100, running ? 101 : null);

    public static TheoryData<string, string, bool> Matrix() => new()
    {
        // Patroni semantics: 200 only for the role asked about.
        { "primary", "primary", true }, { "primary", "sync", false }, { "primary", "async", false },
        { "replica", "primary", false }, { "replica", "sync", true }, { "replica", "async", true },
        { "sync", "sync", true }, { "sync", "async", false }, { "sync", "primary", false },
        { "async", "async", true }, { "async", "sync", false },
        { "read-only", "primary", true }, { "read-only", "async", true },
        { "read-only-sync", "primary", true }, { "read-only-sync", "sync", true }, { "read-only-sync", "async", false },
        { "health", "deposed", true }, { "standby-leader", "primary", false }, { "liveness", "unassigned", true },
        { "readiness", "primary", true }, { "readiness", "unassigned", false },
    };

    [Theory]
    [MemberData(nameof(Matrix))]
    public void Each_check_passes_only_for_its_role(string check, string role, bool expected)
    {
        var s = role == "primary" ? Status(role, rw: true) : Status(role, streaming: role is "sync" or "async", lag: 0);
        Assert.Equal(expected, RoleChecks.Passes(check, s));
    }

    [Fact]
    public void A_read_only_or_self_fenced_primary_is_not_primary()
    {
        Assert.False(RoleChecks.Passes("primary", Status("primary", rw: false)));
        Assert.False(RoleChecks.Passes("primary", Status("primary", rw: true, fenced: true)));
        Assert.False(RoleChecks.Passes("primary", Status("primary", rw: true, assigned: "deposed")));
        Assert.False(RoleChecks.Passes("health", Status("primary", running: false)));
    }

    [Fact]
    public void Only_a_running_standby_clusters_leader_is_standby_leader_and_it_is_never_primary()
    {
        var leader = Status("primary") with { StandbyOf = "10.1.0.1:5432" };
        Assert.True(RoleChecks.Passes("standby-leader", leader));
        Assert.False(RoleChecks.Passes("primary", leader));
        Assert.True(RoleChecks.Passes("read-only", leader));
        Assert.False(RoleChecks.Passes("standby-leader", leader with { PostgresRunning = false }));
        Assert.False(RoleChecks.Passes("standby-leader", leader with { AssignedRole = "sync" }));
        Assert.False(RoleChecks.Passes("standby-leader", Status("sync", streaming: true, lag: 0) with { StandbyOf = "10.1.0.1:5432" }));
        Assert.False(RoleChecks.Passes("standby-leader", Status("primary", rw: true)));
    }

    [Fact]
    public void Lag_limits_replica_checks_and_unknown_lag_fails_them()
    {
        Assert.True(RoleChecks.Passes("replica", Status("async", streaming: true, lag: 1000), maxLagBytes: 1024));
        Assert.False(RoleChecks.Passes("replica", Status("async", streaming: true, lag: 2000), maxLagBytes: 1024));
        Assert.False(RoleChecks.Passes("replica", Status("async", streaming: true, lag: null), maxLagBytes: 1024));
        Assert.True(RoleChecks.Passes("replica", Status("async", streaming: true, lag: null)));
        Assert.False(RoleChecks.Passes("replica", Status("async", streaming: false, lag: 0)));
        Assert.False(RoleChecks.Passes("sync", Status("sync", streaming: true, lag: 0), replicationState: "catchup"));
    }

    [Fact]
    public void A_standby_whose_receiver_reconnects_stays_in_the_load_balancer_but_not_for_replication_state_streaming()
    {
        // It has received WAL and plays its role; its receiver is between two connections (a switchover, a re-pointed async).
        var reconnecting = Status("async", streaming: false, lag: 0, received: true);
        Assert.True(RoleChecks.Passes("replica", reconnecting));
        Assert.True(RoleChecks.Passes("async", reconnecting));
        Assert.False(RoleChecks.Passes("replica", reconnecting, replicationState: "streaming"));
        Assert.True(RoleChecks.Passes("replica", reconnecting with { Streaming = true }, replicationState: "streaming"));
    }

    [Theory]
    [InlineData("1024", 1024UL)]
    [InlineData("16MB", 16UL << 20)]
    [InlineData("1kB", 1024UL)]
    [InlineData("2 GB", 2UL << 30)]
    [InlineData("7B", 7UL)]
    public void Lag_sizes_parse_as_patroni_does(string text, ulong expected)
    {
        Assert.True(ByteSize.TryParse(text, out var bytes));
        Assert.Equal(expected, bytes);
    }

    [Theory]
    [InlineData("")]
    [InlineData("-1")]
    [InlineData("16XB")]
    [InlineData("lots")]
    public void Bad_lag_sizes_are_rejected(string text) => Assert.False(ByteSize.TryParse(text, out _));

    [Theory]
    [InlineData(RefusalReason.ClusterFrozen, 409)]
    [InlineData(RefusalReason.AlreadyFrozen, 409)]
    [InlineData(RefusalReason.NotFrozen, 409)]
    [InlineData(RefusalReason.NotCaughtUp, 409)]
    [InlineData(RefusalReason.NoAsyncAvailable, 409)]
    [InlineData(RefusalReason.PeerStillPresent, 409)]
    [InlineData(RefusalReason.SingletonMode, 409)]
    [InlineData(RefusalReason.NoState, 409)]
    [InlineData(RefusalReason.StaleGeneration, 412)]
    [InlineData(RefusalReason.UnknownPeer, 412)]
    [InlineData(RefusalReason.NotDeposed, 412)]
    [InlineData(RefusalReason.InvalidRequest, 412)]
    public void Refusals_map_to_409_for_cluster_conflicts_and_412_for_bad_preconditions(RefusalReason reason, int status) =>
        Assert.Equal(status, NodeApi.RefusalStatus(reason));

    [Fact]
    public async Task Metrics_are_prometheus_text_with_role_generation_lag_read_write_failovers_and_last_transition()
    {
        var state = Fixtures.State();
        var history = new List<Actors.Protocol.ClusterStateProtocol.StateRecorded>
        {
            new(state, TransitionReason.InitialSetup, "set up", DateTimeOffset.FromUnixTimeSeconds(1000)),
            new(state with { Version = 2, Generation = 2 }, TransitionReason.SyncTakeover, "took over", DateTimeOffset.FromUnixTimeSeconds(2000)),
        };
        var text = await Fixtures.MetricsAsync(Status("primary", rw: true), state, history);
        Assert.Contains("appliance_role{peer=\"n1\",role=\"primary\"} 1", text);
        Assert.Contains("appliance_role{peer=\"n1\",role=\"sync\"} 0", text);
        Assert.Contains("appliance_generation{peer=\"n1\"} 1", text);
        Assert.Contains("appliance_read_write{peer=\"n1\"} 1", text);
        Assert.Contains("appliance_failovers_total{peer=\"n1\"} 1", text);
        Assert.Contains("appliance_last_transition_timestamp_seconds{peer=\"n1\"} 2000", text);
        Assert.Contains("# TYPE appliance_replication_lag_bytes gauge", text);
        Assert.All(text.Split('\n', StringSplitOptions.RemoveEmptyEntries), line =>
            Assert.Matches(Fixtures.ExpositionLine, line));
    }
}

[Trait("Category", "Unit")]
public sealed class StandbyClusterMetricsTests
{
    private static StatusDto Leader(string? standbyOf = "src1:5432") =>
        new("n1", "127.0.0.1", 5432, "primary", "primary", 3, 3, 1, true, false, false, false, 1, "0/3000000", null, null, null, null, null, 100, 101,
            StandbyOf: standbyOf);

    [Fact]
    public async Task A_standby_clusters_leader_is_exported_as_standby_leader_not_as_primary()
    {
        var state = Fixtures.State() with { StandbyOf = StandbySource.Parse("src1:5432") };
        var text = await Fixtures.MetricsAsync(Leader(), state, null);
        Assert.Contains("appliance_role{peer=\"n1\",role=\"standby-leader\"} 1", text);
        Assert.Contains("appliance_role{peer=\"n1\",role=\"primary\"} 0", text);
        Assert.Contains("appliance_primary{peer=\"n1\"} 0", text);
        Assert.Contains("appliance_standby_leader{peer=\"n1\"} 1", text);
        Assert.Contains("appliance_standby_cluster{peer=\"n1\"} 1", text);
        Assert.Contains("appliance_read_write{peer=\"n1\"} 0", text);
    }

    [Fact]
    public async Task A_normal_clusters_primary_is_a_primary_and_the_standby_gauges_are_zero()
    {
        var primary = Leader(standbyOf: null) with { ReadWrite = true };
        var text = await Fixtures.MetricsAsync(primary, Fixtures.State(), null);
        Assert.Contains("appliance_role{peer=\"n1\",role=\"primary\"} 1", text);
        Assert.Contains("appliance_role{peer=\"n1\",role=\"standby-leader\"} 0", text);
        Assert.Contains("appliance_primary{peer=\"n1\"} 1", text);
        Assert.Contains("appliance_standby_leader{peer=\"n1\"} 0", text);
        Assert.Contains("appliance_standby_cluster{peer=\"n1\"} 0", text);
    }

    [Fact]
    public async Task Without_a_state_the_standby_cluster_gauge_comes_from_the_status_or_is_absent()
    {
        Assert.Contains("appliance_standby_cluster{peer=\"n1\"} 1", await Fixtures.MetricsAsync(Leader(), null, null));
        Assert.DoesNotContain("appliance_standby_cluster{", await Fixtures.MetricsAsync(Leader(standbyOf: null), null, null));
    }

    [Fact]
    public async Task The_no_primary_alert_is_silenced_in_a_standby_cluster_and_a_missing_standby_leader_alerts_instead()
    {
        var rules = MonitoringFiles.AlertRules(MonitoringFiles.ParseYaml(await File.ReadAllTextAsync(Path.Combine(Appliance.Testing.Repository.Root(), "docs", "alerts.yml"))))
            .ToDictionary(r => (string)r["alert"], r => (string)r["expr"]);
        var noPrimary = rules["ApplianceNoPrimary"];
        Assert.Contains("unless on () max(appliance_standby_cluster{job=\"appliance\"}) == 1", noPrimary);
        var noLeader = rules["ApplianceNoStandbyLeader"];
        Assert.Contains("appliance_standby_leader", noLeader);
        Assert.Contains("and on () max(appliance_standby_cluster{job=\"appliance\"}) == 1", noLeader);
    }
}

internal static class Fixtures
{
    /// <summary>One line of the text exposition: HELP, TYPE, or a sample with or without labels.</summary>
    public const string ExpositionLine = @"^(# (HELP|TYPE) \w+ .+|\w+(\{[^}]*\})? ([0-9.e+-]+|\+Inf|NaN))$";

    /// <summary>What a node with these values exports (a fresh <see cref="NodeMetrics"/>).</summary>
    public static async Task<string> MetricsAsync(StatusDto status, ClusterState? state,
        IReadOnlyList<Actors.Protocol.ClusterStateProtocol.StateRecorded>? history)
    {
        var metrics = new NodeMetrics();
        metrics.Update(status, state, history);
        return await metrics.TextAsync(CancellationToken.None);
    }

    public static PeerId P(string id, int port) => new(id, "127.0.0.1", port);

    public static ClusterState State(bool deposed = false, bool asyncs = true) => new()
    {
        Version = 1, Generation = 1, Primary = P("n1", 5432), Sync = P("n2", 5433),
        Async = asyncs ? [P("n3", 5434)] : [], Deposed = deposed ? [P("n0", 5431)] : [],
    };

    public static DownstreamDto Down(string name, string syncState, string state = "streaming") => new(name, state, syncState, "0/3000000", "0/3000000", 0);

    public static PeerViewDto Peer(string id, string role, bool reachable = true, bool rw = false, params DownstreamDto[] downs) =>
        new(id, "127.0.0.1", 5432, role, null, reachable, reachable ? null : "connection refused", rw, role != "primary", 1, "0/3000000", 0, downs);

    /// <summary>A healthy 3-peer view: n1 → n2 (sync) → n3 (async).</summary>
    public static ClusterViewDto Healthy(Func<PeerViewDto, PeerViewDto>? change = null, ClusterState? state = null) =>
        new(StateDto.From(state ?? State()),
            [.. new[]
            {
                Peer("n1", "primary", rw: true, downs: Down("n2", "sync")),
                Peer("n2", "sync", downs: Down("n3", "async")),
                Peer("n3", "async"),
            }.Select(p => change?.Invoke(p) ?? p)],
            null, true, "n1");
}

[Trait("Category", "Unit")]
public sealed class VerifyTests
{
    [Fact]
    public void A_healthy_cluster_has_no_problems() => Assert.Empty(Verify.Problems(Fixtures.Healthy()));

    public static TheoryData<string, string> Cases() => new()
    {
        { "primary-down", "cannot query postgres on primary n1" },
        { "sync-down", "cannot query postgres on sync n2" },
        { "async-down", "cannot query postgres on async n3" },
        { "primary-no-repl", "n1: downstream replication peer n2 not connected" },
        { "primary-wrong-peer", "n1: expected downstream peer to be n2, but found n3" },
        { "primary-async-repl", "n1: expected downstream replication to n2 to be 'sync', but found 'async'" },
        { "sync-catchup", "n2: downstream replication to n3 not yet established (expected state 'streaming', found 'catchup')" },
        { "primary-read-only", "primary n1 is read-only" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Each_problem_gets_its_sentence(string @case, string expected)
    {
        var view = Fixtures.Healthy(p => (@case, p.Id) switch
        {
            ("primary-down", "n1") => p with { Reachable = false, Error = "refused", Downstreams = [] },
            ("sync-down", "n2") => p with { Reachable = false, Error = "refused", Downstreams = [] },
            ("async-down", "n3") => p with { Reachable = false, Error = "refused" },
            ("primary-no-repl", "n1") => p with { Downstreams = [] },
            ("primary-wrong-peer", "n1") => p with { Downstreams = [Fixtures.Down("n3", "sync")] },
            ("primary-async-repl", "n1") => p with { Downstreams = [Fixtures.Down("n2", "async")] },
            ("sync-catchup", "n2") => p with { Downstreams = [Fixtures.Down("n3", "async", "catchup")] },
            ("primary-read-only", "n1") => p with { ReadWrite = false },
            _ => p,
        });
        var problems = Verify.Problems(view);
        Assert.Contains(problems, m => m.Contains(expected));
    }

    [Fact]
    public void A_cluster_not_yet_set_up_says_why_the_coordinator_waits()
    {
        var view = Fixtures.Healthy() with
        {
            State = null,
            LastRefusal = new RefusalDto("ModeMismatch", "The nodes disagree on --standby-of: the coordinator's node has none, but n2 has --standby-of 10.1.0.1:5432."),
        };
        var problems = Verify.Problems(view);
        Assert.Contains(problems, m => m.StartsWith("the cluster has no state yet", StringComparison.Ordinal));
        Assert.Contains("the coordinator does not set the cluster up (ModeMismatch): The nodes disagree on --standby-of: the coordinator's node has none, but n2 has --standby-of 10.1.0.1:5432.", problems);
    }

    [Fact]
    public void A_standby_clusters_leader_is_a_read_only_standby_with_asynchronous_downstreams_and_not_a_problem()
    {
        var state = Fixtures.State() with { StandbyOf = StandbySource.Parse("10.1.0.1:5432") };
        PeerViewDto AsStandbyCluster(PeerViewDto p) => p.Id == "n1"
            ? p with { ReadWrite = false, InRecovery = true, Downstreams = [Fixtures.Down("n2", "async")] }
            : p;
        Assert.Empty(Verify.Problems(Fixtures.Healthy(AsStandbyCluster, state)));
        // A leader that left recovery no longer follows its source; a normal cluster's primary in recovery takes no writes.
        var promoted = Fixtures.Healthy(p => AsStandbyCluster(p) with { InRecovery = p.Id != "n1" && p.InRecovery }, state);
        Assert.Contains(Verify.Problems(promoted), m => m == "standby leader n1 is not in recovery: it no longer follows 10.1.0.1:5432");
        Assert.Contains(Verify.Problems(Fixtures.Healthy(AsStandbyCluster)), m => m.Contains("primary n1 is still in recovery"));
    }

    [Fact]
    public void A_node_that_refuses_the_coordinators_state_says_why()
    {
        var view = Fixtures.Healthy() with { StateRefused = "the state is v2, but this node has already played v9: the state store is older than the cluster" };
        var problem = Assert.Single(Verify.Problems(view));
        Assert.Contains("refuses the coordinator's state: the state is v2, but this node has already played v9", problem);
    }

    [Fact]
    public void Deposed_peers_no_asyncs_no_state_and_a_blocked_coordinator_are_problems()
    {
        Assert.Contains(Verify.Problems(Fixtures.Healthy(state: Fixtures.State(deposed: true))), m => m.StartsWith("cluster has a deposed peer n0", StringComparison.Ordinal));
        var twoPeers = Fixtures.Healthy(state: Fixtures.State(asyncs: false)) is var v ? v with { Peers = [.. v.Peers.Take(2)] } : null!;
        twoPeers = twoPeers with { Peers = [twoPeers.Peers[0], twoPeers.Peers[1] with { Downstreams = [] }] };
        Assert.Equal(["cluster has no async peers: one more failure leaves no candidate for a new sync"], Verify.Problems(twoPeers));
        Assert.Contains(Verify.Problems(new ClusterViewDto(null, [], null, true, "n1")), m => m.Contains("no state yet"));
        Assert.Contains(Verify.Problems(Fixtures.Healthy() with { LastRefusal = new("NotCaughtUp", "sync n2 is behind") }), m => m.Contains("NotCaughtUp"));
        Assert.Contains(Verify.Problems(Fixtures.Healthy() with { CoordinatorReachable = false }), m => m.Contains("coordinator did not answer"));
    }

    [Fact]
    public void Primary_and_sync_both_lost_says_the_cluster_waits_for_one_of_them_and_names_where_the_state_came_from()
    {
        var lost = Fixtures.Healthy(p => p.Id is "n1" or "n2" ? p with { Reachable = false, Error = "refused", Downstreams = [] } : p)
            with { CoordinatorReachable = false, StateFromStore = true };
        var problems = Verify.Problems(lost);
        Assert.Contains(problems, m => m.StartsWith("primary n1 and sync n2 are both unreachable", StringComparison.Ordinal) && m.Contains("waits until one of them runs again"));
        Assert.Contains(problems, m => m.StartsWith("no coordinator runs, so the state shown (v1) is the last one written", StringComparison.Ordinal));
        Assert.DoesNotContain(problems, m => m.Contains("no state yet"));
        // One of them lost is a failover the cluster makes by itself, not a wait.
        var syncOnly = Verify.Problems(Fixtures.Healthy(p => p.Id == "n2" ? p with { Reachable = false, Error = "refused", Downstreams = [] } : p));
        Assert.DoesNotContain(syncOnly, m => m.Contains("both unreachable"));
        Assert.DoesNotContain(syncOnly, m => m.Contains("state store"));
    }

    [Fact]
    public void Lag_is_not_a_problem() =>
        Assert.Empty(Verify.Problems(Fixtures.Healthy(p => p.Id == "n3" ? p with { LagBytes = 1UL << 30 } : p)));

    [Fact]
    public void A_singleton_cluster_with_only_its_primary_is_healthy()
    {
        var state = new ClusterState { Version = 1, Generation = 1, Primary = Fixtures.P("n1", 5432), Singleton = true };
        var view = new ClusterViewDto(StateDto.From(state), [Fixtures.Peer("n1", "primary", rw: true)], null, true, "n1");
        Assert.Empty(Verify.Problems(view));
    }
}

[Trait("Category", "Unit")]
public sealed class RenderTests
{
    private static (IAnsiConsole Console, StringWriter Text) Capture()
    {
        var text = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(text), Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors });
        console.Profile.Width = 200;
        return (console, text);
    }

    [Fact]
    public void Status_is_a_table_of_roles_lsns_lag_and_health()
    {
        var (console, text) = Capture();
        Render.Cluster(console, Fixtures.Healthy(p => p.Id == "n3" ? p with { LagBytes = 3 * 1024 * 1024 } : p));
        var output = text.ToString();
        Assert.Contains("generation 1 (version 1), initWal 0/0, mode normal, not frozen", output);
        foreach (var column in new[] { "PEER", "ROLE", "ADDRESS", "PG", "READ-WRITE", "TIMELINE", "WAL", "LAG", "UPSTREAM", "HEALTH" })
            Assert.Contains(column, output);
        Assert.Matches(@"│ n1\s+│ primary\s+│ 127\.0\.0\.1:5432\s+│ up\s+│ yes", output);
        Assert.Contains("3.0 MB", output);
    }

    [Fact]
    public void History_is_a_table_of_generation_time_primary_sync_asyncs_deposed_and_reason()
    {
        var (console, text) = Capture();
        var state = Fixtures.State(deposed: true);
        Render.History(console, [new HistoryEntryDto(1, 1, new DateTimeOffset(2025, 1, 2, 3, 4, 5, TimeSpan.Zero), "InitialSetup", "set up", StateDto.From(state))]);
        var output = text.ToString();
        Assert.Matches(@"│ 1\s+│ 1\s+│ 2025-01-02 03:04:05Z │ n1\s+│ n2\s+│ n3\s+│ n0\s+│ no\s+│ -\s+│ InitialSetup: set up", output);
    }

    [Fact]
    public void History_shows_each_entrys_measured_write_outage_and_marks_a_lower_bound()
    {
        var (console, text) = Capture();
        var state = StateDto.From(Fixtures.State(deposed: true));
        var at = new DateTimeOffset(2025, 1, 2, 3, 4, 5, TimeSpan.Zero);
        Render.History(console,
        [
            new HistoryEntryDto(4, 2, at, "SyncTakeover", "n1 lost", state, new WriteOutageDto("Failover", 4321, at, at.AddMilliseconds(4321), "LastReport", false)),
            new HistoryEntryDto(6, 3, at, "SyncTakeover", "n2 lost", state, new WriteOutageDto("Failover", 1500, at, at.AddMilliseconds(1500), "CoordinatorStart", true)),
        ]);
        var output = text.ToString();
        Assert.Matches(@"│ 2\s+│ 4\s+│ .*│ 4\.321 s\s+│ SyncTakeover", output);
        Assert.Matches(@"│ 3\s+│ 6\s+│ .*│ >=1\.500 s\s+│ SyncTakeover", output);
    }

    [Fact]
    public void A_history_entry_without_a_measured_outage_has_no_writeOutage_field_and_one_with_it_round_trips()
    {
        var at = new DateTimeOffset(2025, 1, 2, 3, 4, 5, TimeSpan.Zero);
        var state = Fixtures.State(deposed: true);
        var recorded = new ClusterStateProtocol.StateRecorded(state, TransitionReason.SyncTakeover, "n1 lost", at);
        var plain = JsonSerializer.Serialize(HistoryEntryDto.From(recorded), ApiJson.Options);
        Assert.DoesNotContain("writeOutage", plain);
        var outages = new Dictionary<long, WriteOutageProtocol.Measured>
        {
            [state.Version] = new(state.Version, WriteOutageKind.Failover, at, at.AddMilliseconds(2500), WriteOutageStart.LastReport),
        };
        var json = JsonSerializer.Serialize(HistoryEntryDto.From(recorded, outages), ApiJson.Options);
        Assert.Contains("\"writeOutage\"", json);
        var read = JsonSerializer.Deserialize<HistoryEntryDto>(json, ApiJson.Options)!;
        Assert.Equal(new WriteOutageDto("Failover", 2500, at, at.AddMilliseconds(2500), "LastReport", false), read.WriteOutage);
        Assert.Equal(HistoryEntryDto.From(recorded).Version, read.Version);
    }

    [Fact]
    public void Topology_reads_primary_then_sync_then_asyncs_with_lag()
    {
        var lines = Render.Topology(Fixtures.Healthy(p => p.Id == "n3" ? p with { LagBytes = 2048 } : p)).ToList();
        Assert.StartsWith("n1 primary (read-write", lines[0]);
        Assert.Contains("n2 sync (lag 0 B", lines[1]);
        Assert.Contains("n3 async (lag 2.0 kB", lines[2]);
    }

    [Theory]
    [InlineData(0UL, "0 B")]
    [InlineData(1023UL, "1023 B")]
    [InlineData(1536UL, "1.5 kB")]
    [InlineData(null, "?")]
    public void Bytes_read_well(ulong? bytes, string expected) => Assert.Equal(expected, Render.Bytes(bytes));
}

[Trait("Category", "Unit")]
public sealed class RollingRestartOrderTests
{
    [Fact]
    public void The_roll_goes_from_the_tail_of_the_chain_to_the_primary() =>
        Assert.Equal(["n3", "n2", "n1"], RollingRestart.Order(Fixtures.State()).Select(p => p.Id));

    [Fact]
    public void A_restarted_standby_waits_for_the_downstream_it_fed_when_the_roll_began_and_only_that_one()
    {
        var healthy = Fixtures.Healthy().Peers.ToDictionary(p => p.Id);
        // The sync fed n3, which its restart cuts: the next step (the switchover, which makes n3 the sync) waits for it.
        Assert.Equal("n3", RollingRestart.FedDownstream(Fixtures.State(), healthy, "n2"));
        // The tail feeds nobody.
        Assert.Null(RollingRestart.FedDownstream(Fixtures.State(), healthy, "n3"));
        // A downstream that did not stream before the roll is not waited for: its trouble is not the restart's.
        var broken = Fixtures.Healthy(p => p.Id == "n2" ? p with { Downstreams = [Fixtures.Down("n3", "async", "catchup")] } : p)
            .Peers.ToDictionary(p => p.Id);
        Assert.Null(RollingRestart.FedDownstream(Fixtures.State(), broken, "n2"));
        // Nor one the state does not give it.
        Assert.Null(RollingRestart.FedDownstream(Fixtures.State(asyncs: false), healthy, "n2"));
    }
}
