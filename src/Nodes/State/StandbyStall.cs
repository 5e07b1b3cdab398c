namespace Appliance.Nodes.State;

/// <summary>
/// A standby whose upstream no longer holds the WAL it needs waits for ever: its WAL receiver retries and gets
/// "requested WAL segment … has already been removed" (BENCHMARKS finding 10: the upstream had itself been cloned afresh,
/// so its <c>pg_wal</c> began after the standby's position). PostgreSQL has no way out short of a new copy, so once the
/// standby has not streamed for the patience, and its upstream still does not hold the segment its position is in,
/// it is cloned afresh from that upstream. One whose upstream holds its WAL, reaches past its position and answers,
/// yet that has not streamed for <see cref="HoldingPatienceFactor"/> times the patience, is cloned afresh too
/// (finding 11: a standby whose startup process stopped asking for WAL).
/// </summary>
/// <remarks>
/// Nothing is lost: the upstream's history holds the standby's WAL (checked here), and the upstream is further on it,
/// since it has removed segments past the standby's position (or, when it holds them, its WAL reaches that position,
/// checked here); so the copy holds everything the standby held. A standby
/// fenced for a takeover (<c>primary_conninfo</c> emptied) is never cloned: the driver refuses a standby that does not
/// follow this upstream (<c>PostgresDriver.CloneAfreshAsync</c>), and raising a fence stops the role first. The spin
/// model's <c>recloneStalled</c> is this rule.
/// </remarks>
public static class StandbyStall
{
    /// <summary>
    /// How many times the patience a standby waits before it is cloned afresh from an upstream that still holds its WAL:
    /// longer than for one that lacks it, since PostgreSQL usually resumes by itself (an upstream restarting, a link
    /// coming back), and a copy costs a whole base backup.
    /// </summary>
    public const int HoldingPatienceFactor = 2;

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
    /// <param name="stalledFor">How long it has neither streamed nor moved on, while its upstream answered (the role
    /// counts only that time: a standby whose upstream was down for a while reconnects within seconds once it is back).</param>
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
        {
            // PostgreSQL streams again by itself once the upstream answers, except when its startup process has given up
            // on the upstream: long chaos run 11 (finding 11) left a sync at the end of its timeline's WAL, below the
            // switch to its upstream's new one, with no WAL receiver started again for minutes, and its primary
            // read-only all that while. A copy from the upstream ends that, and loses nothing when the upstream's WAL
            // reaches as far as this standby's.
            var holds = $"not streaming from {upstream}, which still holds the WAL from {own.Position}";
            // The fork check above ran only with both histories: without them nothing shows that the upstream's history
            // holds this standby's WAL (a stale upstream on an older timeline is the case the rewind refuses).
            if (own.History is null || theirs.History is null)
                return new StallVerdict.Wait($"{holds}; not cloned afresh, because its history or this standby's could not be read");
            if (theirs.End is not { } end || end < own.Position)
                return new StallVerdict.Wait($"{holds}; not cloned afresh, as its WAL does not reach this standby's position");
            var holdingPatience = patience * HoldingPatienceFactor;
            return stalledFor < holdingPatience
                ? new StallVerdict.Wait($"{holds}; cloning afresh from it once it has not streamed for {holdingPatience.TotalSeconds:0.#} s")
                : new StallVerdict.CloneAfresh($"{holds} up to {end}, and it has not streamed for {stalledFor.TotalSeconds:0.#} s");
        }
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
