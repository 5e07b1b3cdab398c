using System.Diagnostics;

namespace Appliance.Bench;

/// <summary>One monotonic clock for every timestamp of a run (kills, sends, acks), in seconds since the bench started.</summary>
internal static class Clock
{
    private static readonly long Start = Stopwatch.GetTimestamp();

    public static double Now => Stopwatch.GetElapsedTime(Start).TotalSeconds;
}
