using Appliance.Host.Node;
using DotNetty.Common;

namespace Appliance.Host.Tests.Unit;

/// <summary>
/// A node turns DotNetty's buffer leak detector off (its sampled stack traces cost CPU in an idle host), unless the
/// operator set DotNetty's own variable. Every node host in this process disables it too, so these tests only ever
/// move the level towards what the hosts set, or check a call that must not touch it.
/// </summary>
[Trait("Category", "Unit")]
public sealed class TransportLeakDetectionTests
{
    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("  ")]
    public void Without_a_requested_level_the_detector_is_off_and_tracks_no_buffer(string? requested)
    {
        ResourceLeakDetector.Level = ResourceLeakDetector.DetectionLevel.Simple;   // DotNetty's default

        Assert.True(TransportLeakDetection.DisableUnlessRequested(requested));

        Assert.Equal(ResourceLeakDetector.DetectionLevel.Disabled, ResourceLeakDetector.Level);
        Assert.Null(ResourceLeakDetector.Create<TransportLeakDetectionTests>().Track(new object()));
    }

    [Fact]
    public void A_level_the_operator_requested_is_left_to_DotNetty()
    {
        Assert.False(TransportLeakDetection.DisableUnlessRequested("advanced"));
    }
}
