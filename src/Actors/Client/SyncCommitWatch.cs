using Npgsql;

namespace Appliance.Actors.Client;

/// <summary>
/// Turns PostgreSQL's one silent hole in synchronous replication into an error. A commit whose wait for the sync is
/// cancelled is kept on the primary, and the client hears only a WARNING before the usual command-complete: every
/// driver reports that commit as done. This watches a connection's notices for that warning, so that work run through
/// <see cref="RunAsync{T}"/> throws <see cref="CommitNotConfirmedException"/> instead.
/// </summary>
public static class SyncCommitWatch
{
    // The routine that waits for the sync (syncrep.c in PostgreSQL 15). Notices carry the routine's name whatever
    // lc_messages says, so this does not depend on the server's language; the English text is a fallback for servers
    // built to omit it.
    private const string SyncWaitRoutine = "SyncRepWaitForLSN";

    /// <summary>
    /// True if <paramref name="notice"/> is PostgreSQL's warning that a commit's wait for the sync was cancelled and
    /// the transaction was kept locally.
    /// </summary>
    public static bool IsCancelledSyncWait(PostgresNotice notice) =>
        notice.InvariantSeverity == "WARNING" &&
        (notice.Routine == SyncWaitRoutine ||
         (notice.MessageText.Contains("wait for synchronous replication", StringComparison.OrdinalIgnoreCase) &&
          notice.MessageText.StartsWith("canceling", StringComparison.OrdinalIgnoreCase)));

    /// <summary>
    /// Runs <paramref name="work"/> on <paramref name="connection"/> and throws <see cref="CommitNotConfirmedException"/>
    /// if any commit in it was kept locally after its wait for the sync was cancelled. Use it around autocommit writes
    /// and around <c>CommitAsync</c> of explicit transactions alike.
    /// </summary>
    /// <exception cref="CommitNotConfirmedException">A commit in the work was not confirmed by the sync.</exception>
    public static async Task<T> RunAsync<T>(NpgsqlConnection connection, Func<NpgsqlConnection, Task<T>> work)
    {
        PostgresNotice? cancelled = null;
        // Npgsql raises notices synchronously while it reads the reply, so the flag is set before the command returns.
        NoticeEventHandler watch = (_, e) => { if (IsCancelledSyncWait(e.Notice)) cancelled ??= e.Notice; };
        connection.Notice += watch;
        try
        {
            var result = await work(connection);
            if (cancelled is not null) throw new CommitNotConfirmedException(cancelled);
            return result;
        }
        catch (Exception e) when (cancelled is not null && e is not CommitNotConfirmedException)
        {
            // The warning came first, then the work failed for another reason (a dropped connection, say): the commit
            // is still only local, and that is what the caller must hear.
            throw new CommitNotConfirmedException(cancelled, e);
        }
        finally
        {
            connection.Notice -= watch;
        }
    }
}
