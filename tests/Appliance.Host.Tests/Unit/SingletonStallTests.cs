using Akka.Actor;
using Akka.Cluster;
using Appliance.Host.Node;

namespace Appliance.Host.Tests.Unit;

/// <summary>When <see cref="SingletonWatch"/> expects this node to run the cluster's singletons.</summary>
[Trait("Category", "Unit")]
public sealed class SingletonStallTests
{
    private static readonly Address A = new("akka.tcp", "appliance", "10.0.0.1", 4053);
    private static readonly Address B = new("akka.tcp", "appliance", "10.0.0.2", 4053);
    private static readonly Address C = new("akka.tcp", "appliance", "10.0.0.3", 4053);

    private static MemberAge Db(Address address, int rank, MemberStatus status = MemberStatus.Up) => new(address, status, rank, true);

    [Fact]
    public void The_oldest_up_database_member_of_a_settled_cluster_should_run_them()
    {
        // The CI failure: the real oldest (rank 0) was killed and removed; B, which handed over at formation, is now oldest.
        MemberAge[] members = [Db(B, 1), Db(C, 2)];
        Assert.True(SingletonWatch.ShouldHostSingletons(B, members, unreachable: 0));
        Assert.False(SingletonWatch.ShouldHostSingletons(C, members, unreachable: 0));
    }

    [Fact]
    public void A_younger_member_is_not_expected_to()
    {
        MemberAge[] members = [Db(A, 0), Db(B, 1), Db(C, 2)];
        Assert.False(SingletonWatch.ShouldHostSingletons(B, members, unreachable: 0));
    }

    [Fact]
    public void Nobody_is_expected_to_while_a_member_is_unreachable()
    {
        // The oldest may be dying; the hand-over waits for its removal.
        MemberAge[] members = [Db(B, 1), Db(C, 2)];
        Assert.False(SingletonWatch.ShouldHostSingletons(B, members, unreachable: 1));
    }

    [Theory]
    [InlineData(MemberStatus.Leaving)]
    [InlineData(MemberStatus.Exiting)]
    [InlineData(MemberStatus.Down)]
    public void Nobody_is_expected_to_while_a_database_member_is_on_its_way_out(MemberStatus status)
    {
        MemberAge[] members = [Db(A, 0, status), Db(B, 1), Db(C, 2)];
        Assert.False(SingletonWatch.ShouldHostSingletons(B, members, unreachable: 0));
    }

    [Fact]
    public void Client_members_do_not_count_for_age()
    {
        MemberAge[] members = [new(A, MemberStatus.Up, 0, false), Db(B, 1), Db(C, 2)];
        Assert.True(SingletonWatch.ShouldHostSingletons(B, members, unreachable: 0));
    }

    [Theory]
    [InlineData(MemberStatus.Joining)]
    [InlineData(MemberStatus.WeaklyUp)]
    public void A_member_not_up_yet_is_expected_to_wait(MemberStatus status)
    {
        MemberAge[] members = [Db(B, 0, status), Db(C, 1, MemberStatus.Joining)];
        Assert.False(SingletonWatch.ShouldHostSingletons(B, members, unreachable: 0));
    }
}
