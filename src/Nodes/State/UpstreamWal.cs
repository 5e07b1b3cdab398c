namespace Appliance.Nodes.State;

/// <summary>What an upstream still holds of its WAL (<c>pg_ls_waldir()</c>).</summary>
/// <param name="OldestSegment">The lowest segment number in its <c>pg_wal</c>: a walsender can send nothing below it.</param>
/// <param name="SegmentSize">Its <c>wal_segment_size</c> in bytes.</param>
/// <param name="History">The history of its timeline; null when it could not be read.</param>
/// <param name="End">
/// The end of the WAL it holds (a primary's current position, a standby's furthest received or replayed); null when it
/// was not read. A downstream at or below it holds nothing the upstream lacks.
/// </param>
public sealed record UpstreamWal(ulong OldestSegment, ulong SegmentSize, TimelineHistory? History, Lsn? End = null)
{
    /// <summary>Where the oldest WAL it holds begins.</summary>
    public Lsn Begins => new(OldestSegment * SegmentSize);

    /// <summary>Whether it still holds the segment that <paramref name="position"/> is in.</summary>
    public bool HoldsSegmentOf(Lsn position) => position.Value / SegmentSize >= OldestSegment;
}
