namespace Appliance.Nodes.State;

/// <summary>
/// A standby whose upstream no longer holds the WAL it needs waits for ever: its WAL receiver retries and gets
/// "requested WAL segment … has already been removed" (BENCHMARKS finding 10: the upstream had itself been cloned afresh,
/// so its <c>pg_wal</c> began after the standby's position). PostgreSQL has no way out short of a new copy, so once the
/// standby has not streamed for the patience, and its upstream still does not hold the segment its position is in,
/// it is cloned afresh from that upstream.
/// </summary>
/// <remarks>
/// Nothing is lost: the upstream's history holds the standby's WAL (checked here), and the upstream is further on it,
/// since it has removed segments past the standby's position; so the copy holds everything the standby held. A standby
/// fenced for a takeover (<c>primary_conninfo</c> emptied) is never cloned: the driver refuses a standby that does not
/// follow this upstream (<c>PostgresDriver.CloneAfreshAsync</c>), and raising a fence stops the role first. The spin
/// model's <c>recloneStalled</c> is this rule.
/// </remarks>
public static class StandbyStall
{
    /// <summary>Decides for a standby that follows <paramref name="upstream"/> and has not streamed for <paramref name="stalledFor"/>.</summary>
    /// <param name="upstream">The upstream the standby's role names.</param>
    /// <param name="reading">What the check read.</param>
    /// <param name="stalledFor">How long it has neither streamed nor moved on.</param>
    /// <param name="patience">How long it must have stalled before it is cloned afresh.</param>
    public static StallVerdict Decide(PeerId upstream, StallReading reading, TimeSpan stalledFor, TimeSpan patience) =>
        Decide($"upstream {upstream.Id}", reading, stalledFor, patience);

    /// <summary>
    /// As <see cref="Decide(PeerId, StallReading, TimeSpan, TimeSpan)"/>, for an upstream that is no peer of this cluster: a
    /// standby leader's source primary (<see cref="ClusterState.StandbyOf"/>), found anew at every check.
    /// </summary>
    /// <param name="upstream">How the reasons name the upstream, such as <c>upstream n2</c> or <c>the source's primary db1:5432</c>.</param>
    /// <param name="reading">What the check read.</param>
    /// <param name="stalledFor">How long it has neither streamed nor moved on.</param>
    /// <param name="patience">How long it must have stalled before it is cloned afresh.</param>
    public static StallVerdict Decide(string upstream, StallReading reading, TimeSpan stalledFor, TimeSpan patience)
    {
        var (own, theirs) = reading;
        if (own.Streaming) return StallVerdict.Streaming.Instance;
        if (theirs is null)
            return new StallVerdict.Wait($"not streaming from {upstream}, which cannot be read");
        // Forked: checked before the segments, since the upstream usually still holds the segment a forked standby
        // asks for. A role checks this when it starts; a standby that forks afterwards (it was ahead of an upstream
        // that was then promoted below it: a standby cluster's peer ahead of a new leader at promote-cluster) would
        // otherwise wait for ever.
        if (own.History is { } mine && theirs.History is { } newer && !newer.Holds(mine, own.Position))
        {
            var forked = $"not streaming from {upstream}: it is at {own.Position} on {mine}, past where the upstream's history " +
                         $"({newer}) forked off at {newer.ForkPoint(mine)}";
            // Only onto a later timeline: timelines are numbered as the generations that started them (PromotionTimeline),
            // so the upstream follows a later promotion, which was made at or past every commit acknowledged on this
            // standby's timeline. An upstream on an older timeline is the stale side (a deposed node, or a history read
            // before the upstream's own switch), and rewinding onto it could drop WAL of the newer history, which may
            // hold acknowledged commits: that waits for the state to change.
            if (newer.Timeline <= mine.Timeline)
                return new StallVerdict.Wait($"{forked}; not rewound, as the upstream's timeline is not later than this standby's");
            return stalledFor < patience
                ? new StallVerdict.Wait($"{forked}; rewinding onto it once it has not streamed for {patience.TotalSeconds:0.#} s")
                : new StallVerdict.Rewind($"{forked}, and it has not streamed for {stalledFor.TotalSeconds:0.#} s");
        }
        if (theirs.HoldsSegmentOf(own.Position))
            return new StallVerdict.Wait($"not streaming from {upstream}, which still holds the WAL from {own.Position}");
        if (own.History is null || theirs.History is null)
            return new StallVerdict.Wait(
                $"not streaming from {upstream}, whose WAL begins at {theirs.Begins}, after this standby's {own.Position}; " +
                "not cloned afresh, because its history or this standby's could not be read");
        var lacks = $"{upstream} no longer holds the WAL this standby needs from {own.Position}: its WAL begins at {theirs.Begins}";
        return stalledFor < patience
            ? new StallVerdict.Wait($"{lacks}; cloning afresh from it once it has not streamed for {patience.TotalSeconds:0.#} s")
            : new StallVerdict.CloneAfresh($"{lacks}, and it has not streamed for {stalledFor.TotalSeconds:0.#} s");
    }
}
