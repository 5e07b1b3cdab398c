using Akka.Configuration;
using Appliance.Nodes.State;

namespace Appliance.Actors.Instance;

/// <summary>
/// Timings of a node actor (<c>DatabaseNodeActor</c>) and its role actors: <c>appliance.node</c>, read over
/// <c>src/Actors/reference.conf</c> (<see cref="ActorsConfig.Reference"/>), the only source of their defaults.
/// </summary>
/// <param name="ReportInterval">How often the node reports its status to the coordinator (it also reports on every change).</param>
/// <param name="CoordinatorLease">
/// A primary that hears nothing from the coordinator for this long fences itself: read-only, clients cut off
/// (DESIGN §4.4). Must be shorter than the time the cluster needs to declare a new primary, so that the old one
/// is fenced first.
/// </param>
/// <param name="CatchUpProgressTimeout">A primary waits this long without flush progress from its sync before it retries.</param>
/// <param name="MinRetryBackoff">First delay before a failed role is retried.</param>
/// <param name="MaxRetryBackoff">Longest delay between retries of a failed role.</param>
/// <param name="StandbyStallCheckInterval">How often a standby checks that it streams.</param>
/// <param name="StandbyStallPatience">How long a standby whose upstream no longer holds the WAL it needs waits before it is cloned afresh.</param>
public sealed record DatabaseNodeSettings(
    TimeSpan ReportInterval,
    TimeSpan CoordinatorLease,
    TimeSpan CatchUpProgressTimeout,
    TimeSpan MinRetryBackoff,
    TimeSpan MaxRetryBackoff,
    TimeSpan StandbyStallCheckInterval,
    TimeSpan StandbyStallPatience)
{
    /// <summary>This node's tags (<c>--tag</c>), sent in every report.</summary>
    public PeerTags Tags { get; init; }

    /// <summary>This node's <c>--standby-of</c>, sent in every report (initial setup compares the members'); null without one.</summary>
    public StandbySource? StandbyOf { get; init; }

    /// <summary>The command to run after each role change (<c>--on-role-change</c>), if any.</summary>
    public RoleChangeHook? OnRoleChange { get; init; }

    /// <summary>
    /// The clock the node and its roles read: timestamps for the lease and the stall watch (monotonic, so that an NTP
    /// step or an operator's <c>date</c> moves neither), and the wall clock where a role uses one. Tests inject a fake.
    /// </summary>
    public TimeProvider Clock { get; init; } = TimeProvider.System;

    /// <summary>The reference configuration's values (<c>appliance.node</c> of <c>src/Actors/reference.conf</c>, which gives the reasoning).</summary>
    public static DatabaseNodeSettings Default { get; } = FromConfig(Config.Empty);

    /// <summary>Reads <c>appliance.node</c> from <paramref name="config"/> over the reference configuration; a missing key keeps the reference value.</summary>
    public static DatabaseNodeSettings FromConfig(Config config)
    {
        var section = ActorsConfig.Section(config, "appliance.node");
        return new DatabaseNodeSettings(
            ReportInterval: section.GetTimeSpan("report-interval"),
            CoordinatorLease: section.GetTimeSpan("coordinator-lease"),
            CatchUpProgressTimeout: section.GetTimeSpan("catch-up-progress-timeout"),
            MinRetryBackoff: section.GetTimeSpan("min-retry-backoff"),
            MaxRetryBackoff: section.GetTimeSpan("max-retry-backoff"),
            StandbyStallCheckInterval: section.GetTimeSpan("standby-stall-check-interval"),
            StandbyStallPatience: section.GetTimeSpan("standby-stall-patience"));
    }
}
