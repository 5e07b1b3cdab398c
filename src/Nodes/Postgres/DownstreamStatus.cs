using Appliance.Nodes.State;

namespace Appliance.Nodes.Postgres;

/// <summary>One downstream as its upstream sees it in <c>pg_stat_replication</c>.</summary>
/// <param name="ApplicationName">The downstream's application_name (its peer id).</param>
/// <param name="State">The walsender state, such as <c>streaming</c> or <c>catchup</c>.</param>
/// <param name="SentLsn">Sent up to.</param>
/// <param name="WriteLsn">Written by the downstream up to.</param>
/// <param name="FlushLsn">Flushed by the downstream up to (what a synchronous commit waits for).</param>
/// <param name="ReplayLsn">Replayed by the downstream up to.</param>
/// <param name="SyncState"><c>sync</c>, <c>async</c>, <c>potential</c> or <c>quorum</c>.</param>
/// <param name="LagBytes">How far the downstream's replay is behind this instance's own position.</param>
public sealed record DownstreamStatus(string ApplicationName, string State, Lsn? SentLsn, Lsn? WriteLsn, Lsn? FlushLsn,
    Lsn? ReplayLsn, string SyncState, ulong LagBytes)
{
    /// <summary>The walsender state of a downstream that has caught up with the WAL on disk and now streams it live.</summary>
    public const string StreamingState = "streaming";

    /// <summary>The walsender streams live (<see cref="StreamingState"/>), rather than starting up or catching up.</summary>
    public bool IsStreaming => State == StreamingState;

    /// <summary>Streaming, and everything sent has been flushed: the test for a caught-up sync.</summary>
    public bool CaughtUp => IsStreaming && SentLsn is { } sent && FlushLsn is { } flush && flush >= sent;
}
