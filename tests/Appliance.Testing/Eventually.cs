using System.Net.Sockets;
using Appliance.Nodes.Postgres;
using Npgsql;

namespace Appliance.Testing;

/// <summary>Waits on conditions with a deadline; never a fixed sleep.</summary>
public static class Eventually
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(60);

    public static async Task<T> ReturnsAsync<T>(Func<Task<T>> read, Func<T, bool> accept, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTimeOffset.UtcNow + (timeout ?? DefaultTimeout);
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
            catch (Exception e) when (e is NpgsqlException or PostgresDriverException or SocketException)
            {
                lastError = e;
            }
            await Task.Delay(50);
        }
        throw new TimeoutException($"Timed out waiting until {what}; last value: {last}; last error: {lastError?.Message}");
    }

    public static Task TrueAsync(Func<Task<bool>> condition, string what, TimeSpan? timeout = null) =>
        ReturnsAsync(condition, ok => ok, what, timeout);
}
