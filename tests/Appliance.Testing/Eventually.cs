using System.Net.Sockets;
using System.Text.Json;
using Appliance.Nodes.Postgres;
using Npgsql;

namespace Appliance.Testing;

/// <summary>
/// Waits on conditions with a deadline; never a fixed sleep. The one poll helper of the tests: in-process checks of a
/// driver or an actor, and process tests that ask a node over HTTP or PostgreSQL. A description is a string, or a
/// <see cref="Func{TResult}"/> read only on timeout (for one that names what was last seen, or appends the nodes' logs).
/// </summary>
public static class Eventually
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(60);

    /// <summary>
    /// How often the condition is asked again: often enough for an in-process check, and no more often than a process
    /// test should ask a node over HTTP.
    /// </summary>
    public static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(100);

    public static Task<T> ReturnsAsync<T>(Func<Task<T>> read, Func<T, bool> accept, string what, TimeSpan? timeout = null) =>
        ReturnsAsync(read, accept, () => what, timeout);

    /// <summary>
    /// Reads until <paramref name="accept"/> takes the value, which it returns. A read that fails for a reason that may
    /// pass (<see cref="NotYet"/>) counts as "not yet"; its message is in the timeout's.
    /// </summary>
    public static async Task<T> ReturnsAsync<T>(Func<Task<T>> read, Func<T, bool> accept, Func<string> what, TimeSpan? timeout = null)
    {
        var limit = timeout ?? DefaultTimeout;
        var deadline = DateTimeOffset.UtcNow + limit;
        T last = default!;
        Exception? lastError = null;
        while (DateTimeOffset.UtcNow < deadline)
        {
            try
            {
                last = await read();
                if (accept(last)) return last;
                lastError = null;
            }
            catch (Exception e) when (NotYet(e))
            {
                lastError = e;
            }
            await Task.Delay(PollInterval);
        }
        throw new TimeoutException($"Timed out after {limit.TotalSeconds:0} s waiting until {what()}; last value: {last}; last error: {lastError?.Message}");
    }

    public static Task TrueAsync(Func<Task<bool>> condition, string what, TimeSpan? timeout = null) =>
        ReturnsAsync(condition, ok => ok, () => what, timeout);

    public static Task TrueAsync(Func<Task<bool>> condition, Func<string> what, TimeSpan? timeout = null) =>
        ReturnsAsync(condition, ok => ok, what, timeout);

    /// <summary>
    /// A failure that may pass: PostgreSQL not up yet or restarting, a node's HTTP API not listening yet, a request that
    /// timed out, or an answer cut short.
    /// </summary>
    private static bool NotYet(Exception e) =>
        e is NpgsqlException or PostgresDriverException or SocketException or HttpRequestException or TaskCanceledException or JsonException;
}
