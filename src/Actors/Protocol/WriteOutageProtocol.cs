using System.Text.Json.Serialization;

namespace Appliance.Actors.Protocol;

/// <summary>
/// The write outage of each change of primary, as the coordinator measured it from the nodes' reports, kept in a
/// journal of its own (<see cref="PersistenceId"/>) beside the state's: the state journal's sequence numbers are the
/// state versions and its compare-and-set is the safety fence, so nothing but states may be written there.
/// </summary>
public static class WriteOutageProtocol
{
    /// <summary>The persistence id of the outage journal; stored in every row, never change it.</summary>
    public const string PersistenceId = "appliance-write-outages";

    /// <summary>
    /// One measured outage, persisted: writes stopped at <paramref name="StartedAt"/> for the change of primary that
    /// state <paramref name="Version"/> made, and resumed at <paramref name="EndedAt"/>, when the new primary's node
    /// reported that it takes writes.
    /// </summary>
    /// <param name="Version">The state version (history entry) that moved the primary.</param>
    /// <param name="Kind">Failover or switchover.</param>
    /// <param name="StartedAt">When writes stopped, as far as the coordinator could tell (see <paramref name="From"/>).</param>
    /// <param name="EndedAt">When the new primary's node reported it takes writes.</param>
    /// <param name="From">What <paramref name="StartedAt"/> is: a lower bound when <see cref="WriteOutageStart.CoordinatorStart"/>.</param>
    public sealed record Measured(long Version, WriteOutageKind Kind, DateTimeOffset StartedAt, DateTimeOffset EndedAt, WriteOutageStart From)
        : IApplianceMessage
    {
        /// <summary>How long writes stopped (never negative); derived, so not stored.</summary>
        [JsonIgnore]
        public TimeSpan Length => EndedAt > StartedAt ? EndedAt - StartedAt : TimeSpan.Zero;
    }

    /// <summary>
    /// Ask the coordinator for the outages measured after the outage journal's sequence number <paramref name="Since"/>
    /// (all when null), oldest first; it answers <see cref="Outages"/>, one page.
    /// </summary>
    /// <param name="Since">Only outage journal entries above this sequence number.</param>
    public sealed record GetOutages(long? Since = null) : IApplianceMessage;

    /// <summary>One page of measured outages, oldest first.</summary>
    /// <param name="Entries">The outages.</param>
    /// <param name="Through">The outage journal's sequence number of the last entry (the <see cref="GetOutages.Since"/> to ask from next).</param>
    /// <param name="More">True when the journal holds more after <paramref name="Through"/>.</param>
    public sealed record Outages(IReadOnlyList<Measured> Entries, long Through, bool More = false) : IApplianceMessage;
}
