using Appliance.Actors.Protocol;

namespace Appliance.Host.Api;

/// <summary>A history entry's write outage, measured by the coordinator from the nodes' reports.</summary>
/// <param name="Kind"><c>Failover</c> or <c>Switchover</c>.</param>
/// <param name="Ms">How long writes stopped, in milliseconds.</param>
/// <param name="StartedAt">When writes stopped, as far as the coordinator could tell.</param>
/// <param name="EndedAt">When the new primary's node reported it takes writes.</param>
/// <param name="MeasuredFrom">What the start is: <c>LastReport</c> (the lost primary's last report), <c>PostgresDown</c>,
/// <c>CoordinatorStart</c> (the coordinator moved with the lost primary), <c>FirstFence</c> (a switchover's fence) or
/// <c>StateWritten</c>.</param>
/// <param name="LowerBound">True when writes stopped earlier than <paramref name="StartedAt"/> (<c>CoordinatorStart</c>).</param>
public sealed record WriteOutageDto(string Kind, long Ms, DateTimeOffset StartedAt, DateTimeOffset EndedAt, string MeasuredFrom, bool LowerBound)
{
    /// <summary>From the protocol.</summary>
    public static WriteOutageDto From(WriteOutageProtocol.Measured m) =>
        new(m.Kind.ToString(), (long)Math.Round(m.Length.TotalMilliseconds), m.StartedAt, m.EndedAt, m.From.ToString(), m.From == WriteOutageStart.CoordinatorStart);
}
