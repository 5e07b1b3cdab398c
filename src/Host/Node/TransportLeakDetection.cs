using DotNetty.Common;

namespace Appliance.Host.Node;

/// <summary>
/// DotNetty's buffer leak detector, which Akka.Remote's transport inherits at DotNetty's default level ("simple"):
/// it wraps every 113th buffer in a leak-aware one, captures a stack trace for it and tracks it through a finalizer,
/// for as long as the process lives, idle or not. That is a diagnostic for DotNetty's own developers; a node turns it
/// off unless the operator asked for a level through DotNetty's own variable (docs/BENCHMARKS.md §4l).
/// </summary>
public static class TransportLeakDetection
{
    /// <summary>The environment variable DotNetty reads its level from (the name of Netty's system property).</summary>
    public const string LevelVariable = "io.netty.leakDetection.level";

    /// <summary>
    /// Turns the detector off for the whole process, unless <paramref name="requestedLevel"/> (the value of
    /// <see cref="LevelVariable"/>) names a level, which DotNetty then applies as it always does.
    /// </summary>
    /// <param name="requestedLevel">The operator's level, or null or blank for none.</param>
    /// <returns>Whether the detector was turned off.</returns>
    public static bool DisableUnlessRequested(string? requestedLevel)
    {
        if (!string.IsNullOrWhiteSpace(requestedLevel)) return false;
        ResourceLeakDetector.Level = ResourceLeakDetector.DetectionLevel.Disabled;
        return true;
    }
}
