using Appliance.Nodes.State;

namespace Appliance.Nodes.Postgres;

/// <summary>
/// A former primary was asked to rejoin behind an upstream that is not on a newer timeline: the upstream has not been
/// promoted yet. Nothing was changed; retry once it has.
/// </summary>
internal sealed class UpstreamNotAheadException(PeerId upstream, int upstreamTimeline, int localTimeline)
    : PostgresDriverException(
        $"Upstream {upstream} is on timeline {upstreamTimeline}, not past this instance's timeline {localTimeline}: it has not been " +
        "promoted yet, so there is no new history to rewind onto. Nothing was changed; retry once it has.");
