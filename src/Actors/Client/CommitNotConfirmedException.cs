using Npgsql;

namespace Appliance.Actors.Client;

/// <summary>
/// A commit that PostgreSQL kept on the primary alone: its wait for the sync was cancelled (a cancel request such as
/// <c>pg_cancel_backend</c> or a driver's command timeout, a terminated backend, a shutdown) and the server answered
/// with a WARNING instead of an error. The sync may not have the write, so a takeover can lose it. Treat the
/// transaction as failed or unknown, never as done.
/// </summary>
public sealed class CommitNotConfirmedException : Exception
{
    /// <summary>Wraps PostgreSQL's warning, and the error that followed it, if any.</summary>
    public CommitNotConfirmedException(PostgresNotice notice, Exception? inner = null)
        : base($"The commit was not confirmed by the sync: PostgreSQL kept it locally only ({notice.MessageText}). " +
               "A failover may lose it; treat the transaction as failed or unknown.", inner)
    {
        Notice = notice;
    }

    /// <summary>PostgreSQL's warning, as received.</summary>
    public PostgresNotice Notice { get; }
}
