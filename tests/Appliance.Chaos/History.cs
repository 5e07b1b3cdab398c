using System.Collections.Concurrent;
using System.Diagnostics;

namespace Appliance.Chaos;

/// <summary>
/// The run's timeline: one monotonic clock (a <see cref="Stopwatch"/> started with the run) for every observation,
/// so that intervals seen by the poller and by the clients compare without wall-clock skew.
/// </summary>
public sealed class History
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly ConcurrentQueue<string> _events = new();

    /// <summary>Time since the run started.</summary>
    public TimeSpan Now => _clock.Elapsed;

    /// <summary>Every event line so far.</summary>
    public IReadOnlyList<string> Events => [.. _events];

    /// <summary>Records (and echoes to <paramref name="echo"/>) one line.</summary>
    public void Log(string text)
    {
        var line = $"[{Now.TotalSeconds,8:0.000}] {text}";
        _events.Enqueue(line);
        Echo?.Invoke(line);
    }

    /// <summary>Where event lines go as they happen (the test output, the console).</summary>
    public Action<string>? Echo { get; set; }
}

/// <summary>What one client learned about one insert.</summary>
public enum Outcome
{
    /// <summary>The commit was acknowledged: the id must survive.</summary>
    Acknowledged,
    /// <summary>Certainly not committed (no connection, or the statement was rejected).</summary>
    Failed,
    /// <summary>Unknown: the connection broke or timed out after the statement was sent.</summary>
    Indeterminate,
}

/// <summary>One insert attempt of id <paramref name="Id"/> on <paramref name="Node"/>, sent at Start, answered at End.</summary>
public sealed record WriteRecord(long Id, string Node, int Client, TimeSpan Start, TimeSpan End, Outcome Outcome, string? Error);

/// <summary>
/// One sample of "does <paramref name="Node"/> take writes": true if it did at some moment in [Start, End] (a 200
/// from /primary, or an acknowledged write), false if it did not answer so (then the run of trues is broken).
/// </summary>
/// <param name="Observer">Who looked: samples are compared only within one observer's sequence per node.</param>
public sealed record WritableSample(string Observer, string Node, TimeSpan Start, TimeSpan End, bool Writable);
