using Akka.Configuration;

namespace Appliance.Actors.Formation;

/// <summary>The timings of <see cref="FormationActor"/> (HOCON <c>appliance.formation</c>).</summary>
public sealed record FormationSettings
{
    /// <summary>How often a node that is not a member probes the seeds.</summary>
    public TimeSpan ProbeInterval { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>An answer older than this no longer counts: its sender may have stopped or joined since.</summary>
    public TimeSpan AnswerFreshness { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>How long the set of answering seeds must be unchanged before the lowest of them forms a cluster.</summary>
    public TimeSpan StableMargin { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>How long a join sent to one member may go unanswered before it is sent again.</summary>
    public TimeSpan JoinRetry { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>Reads <c>appliance.formation</c>; a missing key keeps its default.</summary>
    public static FormationSettings FromConfig(Config config)
    {
        var defaults = new FormationSettings();
        var section = config.GetConfig("appliance.formation");
        if (section is null || section.IsEmpty) return defaults;
        return new FormationSettings
        {
            ProbeInterval = section.GetTimeSpan("probe-interval", defaults.ProbeInterval),
            AnswerFreshness = section.GetTimeSpan("answer-freshness", defaults.AnswerFreshness),
            StableMargin = section.GetTimeSpan("stable-margin", defaults.StableMargin),
            JoinRetry = section.GetTimeSpan("join-retry", defaults.JoinRetry),
        };
    }
}
