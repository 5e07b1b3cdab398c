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

    /// <summary>How long the set of answering seeds must be unchanged before the lowest of them forms a cluster.</summary>
    public TimeSpan StableMargin { get; init; }

    /// <summary>How long a join sent to one member may go unanswered before it is sent again.</summary>
    public TimeSpan JoinRetry { get; init; }

    /// <summary>Reads <c>appliance.formation</c> over the reference configuration; a missing key keeps the reference value.</summary>
    public static FormationSettings FromConfig(Config config)
    {
        var section = ActorsConfig.Section(config, "appliance.formation");
        return new FormationSettings
        {
            ProbeInterval = section.GetTimeSpan("probe-interval"),
            AnswerFreshness = section.GetTimeSpan("answer-freshness"),
            StableMargin = section.GetTimeSpan("stable-margin"),
            JoinRetry = section.GetTimeSpan("join-retry"),
        };
    }
}
