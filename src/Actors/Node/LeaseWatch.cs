namespace Appliance.Actors.Node;

/// <summary>
/// A primary's watch of its coordinator lease: when it last heard from the coordinator, when the lease was last checked,
/// and whether, since when and why it fenced itself. It holds the times; <see cref="PrimaryLease"/> decides. The node
/// actor runs the effects (stopping the role, fencing PostgreSQL, reporting).
/// </summary>
/// <remarks>
/// Every time is a timestamp of <see cref="TimeProvider.GetTimestamp"/>, never the wall clock: the lease must not move
/// with an NTP step or an operator's <c>date</c>. Not thread-safe: the node actor owns it.
/// </remarks>
internal sealed class LeaseWatch
{
    private readonly TimeProvider _clock;
    private readonly TimeSpan _lease;
    private long _lastContact;
    private long _lastCheck;
    private long _fencedAt;
    private bool _fencedAfterPause;

    /// <summary>Starts the watch as if the coordinator had just spoken and the lease had just been checked.</summary>
    /// <param name="clock">Where the timestamps come from.</param>
    /// <param name="lease">The configured coordinator lease.</param>
    public LeaseWatch(TimeProvider clock, TimeSpan lease)
    {
        _clock = clock;
        _lease = lease;
        _lastContact = _lastCheck = clock.GetTimestamp();
    }

    /// <summary>The primary fenced itself and has not been allowed to serve again since.</summary>
    public bool SelfFenced { get; private set; }

    /// <summary>The coordinator spoke: the lease runs from now.</summary>
    public void Contact() => _lastContact = _clock.GetTimestamp();

    /// <summary>
    /// One lease check (the node runs one every quarter lease). Every check counts for the next one's pause detection,
    /// whether or not the lease <paramref name="applies"/>. Returns why the primary must fence itself now, having
    /// recorded that it did; null if it may go on, if the lease does not apply, or if it is fenced already.
    /// </summary>
    /// <param name="applies">This node is a primary whose writes the lease guards.</param>
    /// <param name="view">Its cluster view, read only when the rule needs it.</param>
    public string? Check(bool applies, Func<MajorityView> view)
    {
        var now = _clock.GetTimestamp();
        var sinceLastCheck = _clock.GetElapsedTime(_lastCheck, now);
        _lastCheck = now;
        if (SelfFenced || !applies) return null;
        if (PrimaryLease.FenceReason(_clock.GetElapsedTime(_lastContact, now), sinceLastCheck, view(), _lease) is not { } why) return null;
        SelfFenced = true;
        _fencedAt = now;
        _fencedAfterPause = sinceLastCheck > _lease;
        return why;
    }

    /// <summary>
    /// True if the primary fenced itself and may now serve again (<see cref="PrimaryLease.MayServeAgain"/>); the caller
    /// then calls <see cref="ServeAgain"/>. False when it is not fenced.
    /// </summary>
    /// <param name="view">Its cluster view, read only when it is fenced.</param>
    public bool MayServeAgain(Func<MajorityView> view) =>
        SelfFenced && PrimaryLease.MayServeAgain(_clock.GetElapsedTime(_fencedAt), _fencedAfterPause, view(), _lease);

    /// <summary>Leaves self-fencing.</summary>
    public void ServeAgain() => SelfFenced = false;
}
