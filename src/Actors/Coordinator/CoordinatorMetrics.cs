using Prometheus;

namespace Appliance.Actors.Coordinator;

/// <summary>
/// The histograms the coordinator records where it measures them: how long an evaluation round takes, how long a
/// journal write takes, and how long writes stopped in a failover or a planned switchover. They live on the registry
/// of the node that hosts them, so every node exports them (empty where the coordinator never ran); the node that
/// runs the singleton fills them.
/// </summary>
public sealed class CoordinatorMetrics
{
    /// <summary>Creates the histograms with <paramref name="factory"/> (the node's registry; its static labels apply).</summary>
    public CoordinatorMetrics(IMetricFactory factory)
    {
        Evaluation = factory.CreateHistogram("appliance_coordinator_evaluation_seconds",
            "Coordinator evaluation rounds: from the start of a round (a report, a tick, a command) to its end, fence probes and journal writes included.",
            new HistogramConfiguration { Buckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30] });
        JournalWrite = factory.CreateHistogram("appliance_journal_write_seconds",
            "Cluster state writes to the journal (the state store): from the persist call to its confirmation.",
            new HistogramConfiguration { Buckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] });
        Failover = factory.CreateHistogram("appliance_failover_duration_seconds",
            "Failovers (the sync took over): from when the coordinator last heard of the lost primary until the new primary's node reported it takes writes.",
            new HistogramConfiguration { Buckets = [0.5, 1, 2, 3, 4, 5, 7.5, 10, 15, 20, 30, 60, 120] });
        SwitchoverWriteGap = factory.CreateHistogram("appliance_switchover_write_gap_seconds",
            "Planned switchovers (an operator's, or a move off the coordinator's host): from the fence that stops the sync receiving, after which no commit completes, until the new primary's node reported it takes writes.",
            new HistogramConfiguration { Buckets = [0.1, 0.25, 0.5, 1, 1.5, 2, 3, 5, 7.5, 10, 20, 60] });
    }

    /// <summary>A set on a registry of its own, exported nowhere: for coordinators that a test starts without a node.</summary>
    public static CoordinatorMetrics Unexported() => new(Metrics.WithCustomRegistry(Metrics.NewCustomRegistry()));

    /// <summary><c>appliance_coordinator_evaluation_seconds</c>.</summary>
    public Histogram Evaluation { get; }

    /// <summary><c>appliance_journal_write_seconds</c>.</summary>
    public Histogram JournalWrite { get; }

    /// <summary><c>appliance_failover_duration_seconds</c>.</summary>
    public Histogram Failover { get; }

    /// <summary><c>appliance_switchover_write_gap_seconds</c>.</summary>
    public Histogram SwitchoverWriteGap { get; }
}
