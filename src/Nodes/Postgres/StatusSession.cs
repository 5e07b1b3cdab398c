using System.Net.Sockets;
using Npgsql;

namespace Appliance.Nodes.Postgres;

/// <summary>
/// One monitoring session kept open for a node's periodic status reads (twice a second) and its standby role's stall
/// checks, so that a quiet node does not fork a backend and run a SCRAM exchange (PBKDF2 on both sides) for every read.
/// </summary>
/// <remarks>
/// <para>The session is used only while the epoch it was opened in still holds. The driver's epoch
/// (<see cref="PostgresDriver.ReadReportStatusAsync"/>) changes with every reload it signals, every start and every role
/// operation, so the first read after any of them runs in a fresh backend, which starts from the postmaster's new
/// configuration (the guarantee of <see cref="DriverConnection"/>'s unpooled connections, flynn#3731). A reload by
/// anyone else reaches the kept backend as well: PostgreSQL's backends act on a pending SIGHUP before they run the next
/// command they read.</para>
/// <para>A session is also retired once it is <c>maxAge</c> old (<see cref="DriverTimeouts.StatusSession"/>, 10 s), so
/// the node still logs in afresh now and then: a refused login is how it learns that the superuser's password was rotated (<see cref="ClusterSecret"/> reads its
/// password file again and takes the new one, and writes the replication password file for the WAL receiver's next
/// connection). A session kept for good hid the rotation, and after it the sync could not connect again
/// (PasswordRotationTests).</para>
/// <para>A kept session that fails (a restarted server, a terminated backend) is dropped and the read is made again on a
/// fresh connection at once, so a broken session never turns into a report of a PostgreSQL that is down. Reads that
/// overlap use fresh connections; the superuser's fallback connection (before the monitoring role exists) is never kept.</para>
/// </remarks>
/// <param name="probe">Opens the connections and reads the status.</param>
/// <param name="maxAge">How long a session is used at most.</param>
internal sealed class StatusSession(InstanceProbe probe, TimeSpan maxAge) : IAsyncDisposable
{
    private readonly Lock _lock = new();
    private NpgsqlConnection? _kept;
    private object? _keptFor;
    private long _keptOpenedAt;
    private bool _disposed;

    /// <summary>The status, on the kept session if it was opened in <paramref name="epoch"/>, else on a fresh one that is then kept.</summary>
    public Task<InstanceStatus> ReadAsync(object epoch, CancellationToken ct) => ReadAsync(epoch, probe.ReadStatusAsync, ct);

    /// <summary><paramref name="read"/> on the kept session if it was opened in <paramref name="epoch"/>, else on a fresh one that is then kept.</summary>
    public async Task<T> ReadAsync<T>(object epoch, Func<NpgsqlConnection, CancellationToken, Task<T>> read, CancellationToken ct)
    {
        if (await TakeAsync(epoch).ConfigureAwait(false) is ({ } kept, var openedAt))
        {
            try
            {
                var result = await read(kept, ct).ConfigureAwait(false);
                await KeepAsync(kept, epoch, openedAt).ConfigureAwait(false);
                return result;
            }
            catch (Exception e) when (!ct.IsCancellationRequested &&
                                      e is NpgsqlException or IOException or SocketException or TimeoutException or InvalidOperationException)
            {
                await kept.DisposeAsync().ConfigureAwait(false);   // closed under us: read again on a fresh session
            }
            catch
            {
                await kept.DisposeAsync().ConfigureAwait(false);
                throw;
            }
        }
        var freshAt = Environment.TickCount64;
        NpgsqlConnection? fresh = await probe.OpenMonitorAsync(ct).ConfigureAwait(false);
        try
        {
            var result = await read(fresh, ct).ConfigureAwait(false);
            if (fresh.UserName == ClusterCredentials.MonitorUser)
            {
                await KeepAsync(fresh, epoch, freshAt).ConfigureAwait(false);
                fresh = null;
            }
            return result;
        }
        finally
        {
            if (fresh is not null) await fresh.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Closes the kept session, if any.</summary>
    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection? kept;
        lock (_lock)
        {
            _disposed = true;
            (kept, _kept, _keptFor) = (_kept, null, null);
        }
        if (kept is not null) await kept.DisposeAsync().ConfigureAwait(false);
    }

    private async ValueTask<(NpgsqlConnection Connection, long OpenedAt)?> TakeAsync(object epoch)
    {
        NpgsqlConnection? kept;
        object? keptFor;
        long openedAt;
        lock (_lock) (kept, keptFor, openedAt, _kept, _keptFor) = (_kept, _keptFor, _keptOpenedAt, null, null);
        if (kept is null) return null;
        if (Equals(keptFor, epoch) && kept.FullState == System.Data.ConnectionState.Open &&
            Environment.TickCount64 - openedAt < (long)maxAge.TotalMilliseconds)
            return (kept, openedAt);
        await kept.DisposeAsync().ConfigureAwait(false);
        return null;
    }

    private async ValueTask KeepAsync(NpgsqlConnection connection, object epoch, long openedAt)
    {
        lock (_lock)
        {
            if (_kept is null && !_disposed)
            {
                (_kept, _keptFor, _keptOpenedAt) = (connection, epoch, openedAt);
                return;
            }
        }
        await connection.DisposeAsync().ConfigureAwait(false);
    }
}
