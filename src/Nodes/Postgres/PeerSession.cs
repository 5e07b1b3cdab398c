namespace Appliance.Nodes.Postgres;

/// <summary>
/// A node's reads of one peer for its API (<c>/cluster</c>, <c>/status</c> lag, <c>verify</c>, rolling restarts): the
/// peer's status and walsenders, both on one monitoring session kept between reads (<see cref="StatusSession"/>), so that
/// a dashboard or a load balancer polling the API costs the peer no login, no forked backend and no SCRAM exchange per
/// read.
/// </summary>
/// <remarks>
/// A reload of the peer's configuration reaches the kept backend before it runs the next command, and a restart of the
/// peer breaks the session, which is then read again on a fresh one; so a read on the kept session sees what a fresh
/// login would, and one epoch serves for the session's whole life. The session is still retired after
/// <c>maxAge</c>, as the node's own status session is: a refused login is how a node learns of a rotated password.
/// </remarks>
/// <param name="probe">The peer.</param>
/// <param name="maxAge">How long one session is used at most.</param>
public sealed class PeerSession(InstanceProbe probe, TimeSpan maxAge) : IAsyncDisposable
{
    private static readonly object Always = new();
    private readonly StatusSession _session = new(probe, maxAge);

    /// <summary>The peer's status and its walsenders, read on the kept session (or a fresh one, then kept).</summary>
    public Task<(InstanceStatus Status, IReadOnlyList<DownstreamStatus> Downstreams)> ReadAsync(CancellationToken ct) =>
        _session.ReadAsync(Always, async (connection, token) =>
            (await probe.ReadStatusAsync(connection, token).ConfigureAwait(false),
             await InstanceProbe.ReadDownstreamsAsync(connection, null, token).ConfigureAwait(false)), ct);

    /// <summary>Closes the kept session, if any.</summary>
    public ValueTask DisposeAsync() => _session.DisposeAsync();
}
