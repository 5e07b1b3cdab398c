namespace Appliance.Actors.Node;

/// <summary>
/// The attempts to make a self-fenced primary's PostgreSQL read-only. Going read-only is a reload and a query, and either
/// can fail (a refused connection, a reload that times out on a loaded machine); until one succeeds PostgreSQL may
/// still take writes. So a failure is retried with a growing backoff, each new error is logged once, and once the
/// attempts have failed for <c>stopAfter</c> the node stops PostgreSQL instead, which cannot fail to end writes.
/// </summary>
/// <remarks>Times are timestamps of the node's <see cref="TimeProvider"/>. Not thread-safe: the node actor owns it.</remarks>
internal sealed class SelfFenceAttempts(TimeProvider clock, TimeSpan minBackoff, TimeSpan maxBackoff, TimeSpan stopAfter)
{
    private long? _failingSince;
    private TimeSpan _backoff;
    private string? _lastError;

    /// <summary>What to do after a failed attempt.</summary>
    /// <param name="RetryIn">When to try again.</param>
    /// <param name="NewError">The error differs from the previous attempt's: worth a log line.</param>
    /// <param name="Stop">The attempts have failed for long enough: stop PostgreSQL rather than fence it.</param>
    public sealed record Next(TimeSpan RetryIn, bool NewError, bool Stop);

    /// <summary>An attempt succeeded, or the node left self-fencing: the next failure starts afresh.</summary>
    public void Over()
    {
        _failingSince = null;
        _lastError = null;
    }

    /// <summary>Records a failed attempt.</summary>
    public Next Failed(string error)
    {
        var now = clock.GetTimestamp();
        _backoff = _failingSince is null ? minBackoff : TimeSpan.FromTicks(Math.Min(_backoff.Ticks * 2, maxBackoff.Ticks));
        _failingSince ??= now;
        var newError = error != _lastError;
        _lastError = error;
        return new Next(_backoff, newError, clock.GetElapsedTime(_failingSince.Value, now) >= stopAfter);
    }
}
