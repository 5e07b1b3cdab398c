using Akka.Configuration;
using Appliance.Nodes.State;

namespace Appliance.Actors.Node;

/// <summary>Timings of a <see cref="DatabaseNodeActor"/>; the host reads them from <c>hocon/</c>.</summary>
/// <param name="ReportInterval">How often the node reports its status to the coordinator (it also reports on every change).</param>
/// <param name="CoordinatorLease">
/// A primary that hears nothing from the coordinator for this long fences itself: read-only, clients cut off
/// (brief §4.4). Must be shorter than the time the cluster needs to declare a new primary, so that the old one
/// is fenced first.
/// </param>
/// <param name="CatchUpProgressTimeout">A primary waits this long without flush progress from its sync before it retries.</param>
/// <param name="MinRetryBackoff">First delay before a failed role is retried.</param>
/// <param name="MaxRetryBackoff">Longest delay between retries of a failed role.</param>
/// <param name="StateRequestInterval">How often a node without a state asks the coordinator for one.</param>
public sealed record DatabaseNodeOptions(
    TimeSpan ReportInterval,
    TimeSpan CoordinatorLease,
    TimeSpan CatchUpProgressTimeout,
    TimeSpan MinRetryBackoff,
    TimeSpan MaxRetryBackoff,
    TimeSpan StateRequestInterval)
{
    /// <summary>This node's tags (<c>--tag</c>), sent in every report.</summary>
    public PeerTags Tags { get; init; }

    /// <summary>The command to run after each role change (<c>--on-role-change</c>), if any.</summary>
    public RoleChangeHook? OnRoleChange { get; init; }

    /// <summary>Defaults for a LAN: see <c>hocon/appliance.conf</c> for the reasoning.</summary>
    public static readonly DatabaseNodeOptions Default = new(
        ReportInterval: TimeSpan.FromMilliseconds(500),
        CoordinatorLease: TimeSpan.FromMilliseconds(1500),
        CatchUpProgressTimeout: TimeSpan.FromSeconds(60),
        MinRetryBackoff: TimeSpan.FromMilliseconds(200),
        MaxRetryBackoff: TimeSpan.FromSeconds(5),
        StateRequestInterval: TimeSpan.FromSeconds(1));

    /// <summary>Reads <c>appliance.node</c> from <paramref name="config"/>; missing keys keep <see cref="Default"/>.</summary>
    public static DatabaseNodeOptions FromConfig(Config config)
    {
        var section = config.GetConfig("appliance.node");
        if (section is null || section.IsEmpty) return Default;
        return new DatabaseNodeOptions(
            ReportInterval: section.GetTimeSpan("report-interval", Default.ReportInterval),
            CoordinatorLease: section.GetTimeSpan("coordinator-lease", Default.CoordinatorLease),
            CatchUpProgressTimeout: section.GetTimeSpan("catch-up-progress-timeout", Default.CatchUpProgressTimeout),
            MinRetryBackoff: section.GetTimeSpan("min-retry-backoff", Default.MinRetryBackoff),
            MaxRetryBackoff: section.GetTimeSpan("max-retry-backoff", Default.MaxRetryBackoff),
            StateRequestInterval: section.GetTimeSpan("state-request-interval", Default.StateRequestInterval));
    }
}
