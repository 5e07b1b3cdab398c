using Appliance.Actors.Coordinator;
using Appliance.Actors.Protocol;
using Appliance.Host.Api;
using Appliance.Host.Cli;
using Appliance.Nodes.State;

namespace Appliance.Host.Tests.Unit;

/// <summary><c>appliance dsn</c>'s string, <c>/history</c>'s query, and the primary position a replica's lag is measured against.</summary>
[Trait("Category", "Unit")]
public sealed class DsnTests
{
    private static readonly StateDto State = new(7, 2, new PeerDto("n1", "10.0.0.1", 5432), new PeerDto("n2", "10.0.0.2", 5432),
        [new PeerDto("n3", "10.0.0.3", 5433)], [new PeerDto("n4", "10.0.0.4", 5432)], "0/3000060", null, false);

    [Fact]
    public void The_primary_string_lists_the_primary_first_and_asks_for_read_write_and_deposed_peers_are_left_out()
    {
        Assert.Equal("host=10.0.0.1,10.0.0.2,10.0.0.3 port=5432,5432,5433 user=postgres dbname=postgres target_session_attrs=read-write",
            Dsn.Build(State, "primary", null));
    }

    [Fact]
    public void The_replica_string_lists_standbys_first_and_the_ca_asks_for_verify_ca()
    {
        Assert.Equal("host=10.0.0.2,10.0.0.3,10.0.0.1 port=5432,5433,5432 user=postgres dbname=postgres target_session_attrs=prefer-standby sslmode=verify-ca sslrootcert='/etc/my ca/ca.crt'",
            Dsn.Build(State, "replica", "/etc/my ca/ca.crt"));
        Assert.Throws<CliException>(() => Dsn.Build(State, "leader", null));
        Assert.Equal(@"'it\'s'", Dsn.Quote("it's"));
    }

    [Fact]
    public void History_queries_parse_and_page()
    {
        Assert.True(HistoryQuery.TryParse("3", "2", out var q, out _));
        var entries = Enumerable.Range(1, 6).Select(v => new ClusterStateProtocol.StateRecorded(
            new ClusterState { Version = v, Generation = 1, Primary = new PeerId("n1", "h", 1) }, TransitionReason.InitialSetup, "", DateTimeOffset.UnixEpoch)).ToList();
        Assert.Equal([4L, 5], q.Page(entries).Select(e => e.State.Version));
        Assert.True(HistoryQuery.TryParse(null, null, out q, out _));
        Assert.Equal(6, q.Page(entries).Count());
        Assert.False(HistoryQuery.TryParse("-1", null, out _, out var error));
        Assert.Contains("since", error);
        Assert.False(HistoryQuery.TryParse(null, "0", out _, out error));
        Assert.Contains("limit", error);
    }

    [Fact]
    public void The_last_primary_position_is_kept_for_its_generation_and_primary_only()
    {
        var state = new ClusterState { Version = 3, Generation = 1, Primary = new PeerId("n1", "h", 1), Sync = new PeerId("n2", "h", 2) };
        var known = new LastPrimaryWal();
        NodeProtocol.StatusReport Report(string id, ulong wal, bool up = true) =>
            new(id == "n1" ? state.Primary : state.Sync!, new PeerReport(up, new Lsn(wal)), 3, PeerRole.Primary, true);
        known.Observe(state, Report("n2", 900));
        Assert.Null(known.Of(state));
        known.Observe(state, Report("n1", 500));
        known.Observe(state, Report("n1", 400));
        known.Observe(state, Report("n1", 0, up: false));
        Assert.Equal(new Lsn(500), known.Of(state));
        Assert.Null(known.Of(state with { Generation = 2, Primary = state.Sync!, Sync = state.Primary }));
    }
}
