using Appliance.Nodes.State;

namespace Appliance.Nodes.Postgres;

/// <summary>One instance's role-relevant state, read in one query.</summary>
/// <param name="InRecovery">True on a standby (<c>pg_is_in_recovery()</c>).</param>
/// <param name="ReadWrite">True if new transactions may write: not in recovery and <c>default_transaction_read_only = off</c>.</param>
/// <param name="Timeline">The timeline it writes (primary) or receives (standby).</param>
/// <param name="CurrentLsn">The primary's insert position; null on a standby.</param>
/// <param name="ReceivedLsn">The last WAL position a standby received and flushed; null on a primary or before streaming.</param>
/// <param name="ReplayedLsn">The last WAL position a standby replayed; null on a primary.</param>
/// <param name="SynchronousStandbyNames">The value in force for new sessions.</param>
/// <param name="History">The history of <paramref name="Timeline"/> (its history file); null when that file could not be
/// read. A position is only comparable with another together with it (see <see cref="TimelineHistory"/>).</param>
public sealed record InstanceStatus(bool InRecovery, bool ReadWrite, int Timeline, Lsn? CurrentLsn, Lsn? ReceivedLsn,
    Lsn? ReplayedLsn, string SynchronousStandbyNames, TimelineHistory? History = null)
{
    /// <summary>The furthest position this instance holds: current on a primary, replayed (or received) on a standby.</summary>
    public Lsn Position => CurrentLsn ?? Lsn.Max(ReplayedLsn ?? Lsn.Zero, ReceivedLsn ?? Lsn.Zero);

    /// <summary>
    /// Where the WAL it applied ends: current on a primary, replayed on a standby. Histories are compared at this
    /// position, not at <see cref="Position"/>: a standby can hold the first part of a record past it (a chunk streamed
    /// ends inside a record), which a promotion of its upstream dropped, and PostgreSQL follows a new timeline as long as
    /// the switch point is not below the replay position. At the received end, a standby fed by the sync before a
    /// takeover would be judged forked off the new primary's history, and rewound for nothing.
    /// </summary>
    public Lsn AppliedPosition => CurrentLsn ?? ReplayedLsn ?? ReceivedLsn ?? Lsn.Zero;

    /// <summary>Settings whose new value the server takes only at its next restart (<c>pg_settings.pending_restart</c>).</summary>
    public IReadOnlyList<string> PendingRestart { get; init; } = [];

    /// <summary>
    /// Transactions committed on this server since its statistics were last reset, over every database
    /// (<c>pg_stat_database.xact_commit</c>): the dashboard's commits per second are its differences. PostgreSQL's
    /// statistics lag the commits by up to a second, and every read-only statement counts too, these probes' own among them.
    /// </summary>
    public long? Commits { get; init; }

    /// <summary>
    /// A standby whose WAL receiver streams now (<c>pg_stat_wal_receiver.status = 'streaming'</c>). Not
    /// <see cref="ReceivedLsn"/>, which keeps its value after the receiver has stopped; false on a primary and on a
    /// standby that replays an archive.
    /// </summary>
    public bool Receiving { get; init; }
}
