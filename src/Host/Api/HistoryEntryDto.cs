using System.Text.Json.Serialization;
using Appliance.Actors.Protocol;

namespace Appliance.Host.Api;

/// <summary>One entry of <c>GET /history</c>.</summary>
/// <param name="Version">State version.</param>
/// <param name="Generation">Generation.</param>
/// <param name="At">When it was written.</param>
/// <param name="Reason">Why (the rule).</param>
/// <param name="Detail">A sentence for operators.</param>
/// <param name="State">The state written.</param>
/// <param name="WriteOutage">For a failover or switchover, how long writes stopped as the coordinator measured it from
/// the nodes' reports; absent when not measured.</param>
public sealed record HistoryEntryDto(long Version, long Generation, DateTimeOffset At, string Reason, string Detail, StateDto State,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] WriteOutageDto? WriteOutage = null)
{
    /// <summary>From the protocol, with the entry's measured outage when <paramref name="outages"/> holds one.</summary>
    public static HistoryEntryDto From(ClusterStateProtocol.StateRecorded r, IReadOnlyDictionary<long, WriteOutageProtocol.Measured>? outages = null) =>
        new(r.State.Version, r.State.Generation, r.At, r.Reason.ToString(), r.Detail, StateDto.From(r.State),
            outages is not null && outages.TryGetValue(r.State.Version, out var outage) ? WriteOutageDto.From(outage) : null);
}
