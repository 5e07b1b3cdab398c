using Appliance.Nodes.Backup;
using Appliance.Nodes.State;

namespace Appliance.Nodes.Tests.Backup;

/// <summary>Where a backup runs: the last async, else the sync, else the primary with the reason.</summary>
[Trait("Category", "Unit")]
public sealed class BackupSourceTests
{
    private static readonly PeerId N1 = new("n1", "10.0.0.1", 5432);
    private static readonly PeerId N2 = new("n2", "10.0.0.2", 5432);
    private static readonly PeerId N3 = new("n3", "10.0.0.3", 5432);
    private static readonly PeerId N4 = new("n4", "10.0.0.4", 5432);

    private static ClusterState State(PeerId? sync, params PeerId[] asyncs) =>
        new() { Version = 7, Generation = 2, Primary = N1, Sync = sync, Async = [.. asyncs] };

    [Fact]
    public void By_default_the_last_async_backs_up()
    {
        var placement = BackupSource.Choose(State(N2, N3, N4), BackupFrom.Auto, null);
        Assert.Equal(N4, placement.Runner);
        Assert.True(placement.FromStandby);
        Assert.Contains("the last async", placement.Reason);
    }

    [Fact]
    public void Without_an_async_the_sync_backs_up()
    {
        var placement = BackupSource.Choose(State(N2), BackupFrom.Standby, null);
        Assert.Equal(N2, placement.Runner);
        Assert.True(placement.FromStandby);
        Assert.Contains("the sync", placement.Reason);
    }

    [Fact]
    public void An_async_in_maintenance_is_passed_over()
    {
        var placement = BackupSource.Choose(State(N2, N3, N4) with { Maintenance = ["n4"] }, BackupFrom.Auto, null);
        Assert.Equal(N3, placement.Runner);
    }

    [Theory]
    [InlineData(false, null, "from the primary n1: there is no standby in the cluster state (or every one is in maintenance)")]
    [InlineData(true, "TLS is not configured", "from the primary n1: TLS is not configured")]
    public void When_no_standby_can_serve_the_primary_backs_up_and_says_why(bool standbys, string? unavailable, string reason)
    {
        var state = standbys ? State(N2, N3) : State(null) with { Singleton = true };
        var placement = BackupSource.Choose(state, BackupFrom.Auto, unavailable);
        Assert.Equal(N1, placement.Runner);
        Assert.False(placement.FromStandby);
        Assert.Equal(reason, placement.Reason);
    }

    [Fact]
    public void Asked_for_a_standby_when_none_can_serve_it_refuses()
    {
        var placement = BackupSource.Choose(State(N2, N3), BackupFrom.Standby, "TLS is not configured");
        Assert.Null(placement.Runner);
        Assert.Contains("TLS is not configured", placement.Reason);
        var none = BackupSource.Choose(State(N2) with { Maintenance = ["n2"] }, BackupFrom.Standby, null);
        Assert.Null(none.Runner);
        Assert.Contains("no standby", none.Reason);
    }

    [Fact]
    public void Asked_for_the_primary_it_is_the_primary_even_with_standbys()
    {
        var placement = BackupSource.Choose(State(N2, N3), BackupFrom.Primary, null);
        Assert.Equal(N1, placement.Runner);
        Assert.False(placement.FromStandby);
    }
}
