using Akka.Configuration;

namespace Appliance.Actors.Formation;

/// <summary>The timings of <see cref="FormationActor"/> (HOCON <c>appliance.formation</c>).</summary>
/// <remarks>
/// No timing has a default of its own: <see cref="Default"/> and <see cref="FromConfig"/> read the section over
/// <c>src/Actors/reference.conf</c> (<see cref="ActorsConfig.Reference"/>).
/// </remarks>
public sealed record FormationSettings
{
    /// <summary>The reference configuration's values (<c>appliance.formation</c> of <c>src/Actors/reference.conf</c>).</summary>
    public static FormationSettings Default { get; } = FromConfig(Config.Empty);

    private FormationSettings() { }

    /// <summary>How often a node that is not a member probes the seeds.</summary>
    public TimeSpan ProbeInterval { get; init; }

    /// <summary>An answer older than this no longer counts: its sender may have stopped or joined since.</summary>
    public TimeSpan AnswerFreshness { get; init; }

    /// <summary>How long a node keeps naming a live candidate that has not formed the cluster before it may name another.</summary>
    public TimeSpan VoteTerm { get; init; }

    /// <summary>
    /// How long a node names no one after the last answer that named a candidate it gave up on, or after it last saw a
    /// member: longer than <see cref="AnswerFreshness"/>, a probe interval and three messages, so that the candidate's votes
    /// have expired and, had it formed on them, its answer as a member has arrived.
    /// </summary>
    public TimeSpan VotePause { get; init; }

    /// <summary>How long a join sent to one member may go unanswered before it is sent again.</summary>
    public TimeSpan JoinRetry { get; init; }

    /// <summary>
    /// How long a node restarted on the same address waits for the members to remove its previous incarnation before it
    /// joins regardless; the failure detector and the split-brain resolver remove it within a few seconds of the crash.
    /// </summary>
    public TimeSpan PreviousIncarnationPatience { get; init; }

    /// <summary>
    /// How long a node hears no member's formation actor before it also runs Akka's join-only seed process, which members
    /// of a version without formation actors answer (the first node upgraded in a rolling upgrade).
    /// </summary>
    public TimeSpan SilentSeedsJoinAfter { get; init; }

    /// <summary>Reads <c>appliance.formation</c> over the reference configuration; a missing key keeps the reference value.</summary>
    public static FormationSettings FromConfig(Config config)
    {
        var section = ActorsConfig.Section(config, "appliance.formation");
        return new FormationSettings
        {
            ProbeInterval = section.GetTimeSpan("probe-interval"),
            AnswerFreshness = section.GetTimeSpan("answer-freshness"),
            VoteTerm = section.GetTimeSpan("vote-term"),
            VotePause = section.GetTimeSpan("vote-pause"),
            JoinRetry = section.GetTimeSpan("join-retry"),
            PreviousIncarnationPatience = section.GetTimeSpan("previous-incarnation-patience"),
            SilentSeedsJoinAfter = section.GetTimeSpan("silent-seeds-join-after"),
        };
    }
}
