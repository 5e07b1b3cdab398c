using Akka.Actor;
using Appliance.Host.Node;

namespace Appliance.Host.Tests.Unit;

/// <summary>Which membership views <see cref="JoinWatch"/> takes for a node outside the cluster.</summary>
[Trait("Category", "Unit")]
public sealed class JoinDetectionTests
{
    private static readonly Address Self = new("akka.tcp", "appliance", "10.0.0.2", 4053);
    private static readonly Address Other = new("akka.tcp", "appliance", "10.0.0.3", 4053);

    [Fact]
    public void A_node_that_never_got_a_welcome_is_outside() => Assert.True(JoinWatch.IsOutside([], Self));

    [Fact]
    public void A_node_that_sees_only_others_is_outside() => Assert.True(JoinWatch.IsOutside([Other], Self));

    [Fact]
    public void A_member_is_inside() => Assert.False(JoinWatch.IsOutside([Other, Self], Self));
}
