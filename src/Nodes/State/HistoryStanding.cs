namespace Appliance.Nodes.State;

/// <summary>Where a peer's WAL stands against the primary's timeline history (<see cref="TimelineHistory.Holds"/>).</summary>
internal enum HistoryStanding
{
    /// <summary>Either report lacks a history (PostgreSQL down, still cloning, or not reported yet).</summary>
    Unknown,

    /// <summary>Everything the peer holds is WAL of the primary's history.</summary>
    OnHistory,

    /// <summary>The peer holds WAL past the point where its history and the primary's part: it must rewind first.</summary>
    Forked,
}
