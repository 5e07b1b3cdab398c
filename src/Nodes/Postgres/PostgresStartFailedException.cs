namespace Appliance.Nodes.Postgres;

/// <summary>The postmaster exited while starting, or did not accept connections in time.</summary>
internal sealed class PostgresStartFailedException(string message, IReadOnlyList<string> logTail)
    : PostgresDriverException(message + (logTail.Count > 0 ? "\nLast server log lines:\n" + string.Join('\n', logTail) : ""))
{
    /// <summary>The server's last log lines.</summary>
    public IReadOnlyList<string> LogTail { get; } = logTail;
}
