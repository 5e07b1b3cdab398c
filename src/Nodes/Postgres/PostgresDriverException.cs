using Appliance.Nodes.State;

namespace Appliance.Nodes.Postgres;

// The driver's error types. Each message says what was wrong and what to do; none of them is thrown after the
// driver has destroyed data.

/// <summary>Base of every error the PostgreSQL driver reports.</summary>
public class PostgresDriverException : Exception
{
    /// <summary>Creates the error.</summary>
    public PostgresDriverException(string message, Exception? inner = null) : base(message, inner) { }
}

/// <summary>No usable PostgreSQL installation was found.</summary>
internal sealed class PostgresBinariesNotFoundException(string message) : PostgresDriverException(message);

/// <summary>Another process listens on the port this instance must use.</summary>
internal sealed class PortInUseException(string host, int port, string detail)
    : PostgresDriverException($"Port {port} on {host} is already in use, so PostgreSQL cannot listen there. " +
                              $"Stop whatever holds it (try 'ss -ltnp sport = :{port}') or give this instance another --pg-port. {detail}".TrimEnd())
{
    /// <summary>The port.</summary>
    public int Port { get; } = port;
}

/// <summary>A data directory belongs to a different cluster than the one it should join; it was left untouched.</summary>
internal sealed class ForeignDataDirectoryException(string dataDirectory, ulong local, ulong expected, string expectedFrom)
    : PostgresDriverException(
        $"Data directory {dataDirectory} belongs to another cluster: its system identifier is {local}, but {expectedFrom} " +
        $"has {expected}. The driver never overwrites another cluster's data. If that data is not needed, move the " +
        "directory away (or delete it) and the instance will be cloned afresh; otherwise point this instance at another data directory.")
{
    /// <summary>The identifier found in the data directory.</summary>
    public ulong LocalSystemIdentifier { get; } = local;

    /// <summary>The identifier of the cluster it should belong to.</summary>
    public ulong ExpectedSystemIdentifier { get; } = expected;
}

/// <summary>A clone target already holds files.</summary>
internal sealed class DataDirectoryNotEmptyException(string dataDirectory, string what)
    : PostgresDriverException($"Cannot clone into {dataDirectory}: it is not empty ({what}). Move its contents away " +
                              "first; the driver never deletes a directory it did not create.");

/// <summary>An operation needs an initialised data directory and found none.</summary>
internal sealed class DataDirectoryNotInitializedException(string dataDirectory)
    : PostgresDriverException($"{dataDirectory} holds no PostgreSQL cluster (no PG_VERSION). Initialise it (first " +
                              "primary) or clone it from an upstream (standby) first.");

/// <summary>A data directory or upstream runs a different PostgreSQL major version than the binaries.</summary>
internal sealed class WrongMajorVersionException(string what, int found, int expected, string binDirectory)
    : PostgresDriverException(
        $"{what} is PostgreSQL {found}, but the binaries in {binDirectory} are PostgreSQL {expected}. Nothing was changed. " +
        $"Install postgresql-{found} and set bin-dir to its bin directory, or upgrade the data with pg_upgrade first.")
{
    /// <summary>The major version found.</summary>
    public int Found { get; } = found;

    /// <summary>The major version of the binaries.</summary>
    public int Expected { get; } = expected;
}

/// <summary>The upstream could not be reached or refused the connection.</summary>
public sealed class UpstreamUnreachableException(PeerId upstream, string reason, Exception? inner = null)
    : PostgresDriverException($"Upstream {upstream} cannot be reached: {reason}. Check that it runs, that its " +
                              "pg_hba.conf admits this host, and that the passwords match; nothing local was changed.", inner)
{
    /// <summary>The upstream.</summary>
    public PeerId Upstream { get; } = upstream;
}

/// <summary>The disk filled up; the partial files were removed.</summary>
internal sealed class DiskFullException(string path, string detail)
    : PostgresDriverException($"No space left on the device holding {path}. The partial copy was removed, and " +
                              $"nothing else was touched. Free space or give the instance a larger volume. ({detail})");

/// <summary>The postmaster exited while starting, or did not accept connections in time.</summary>
internal sealed class PostgresStartFailedException(string message, IReadOnlyList<string> logTail)
    : PostgresDriverException(message + (logTail.Count > 0 ? "\nLast server log lines:\n" + string.Join('\n', logTail) : ""))
{
    /// <summary>The server's last log lines.</summary>
    public IReadOnlyList<string> LogTail { get; } = logTail;
}

/// <summary>Another postmaster is running on this data directory.</summary>
internal sealed class InstanceAlreadyRunningException(string dataDirectory, int pid)
    : PostgresDriverException($"A PostgreSQL server (pid {pid}) is already running on {dataDirectory}. Stop it, or " +
                              "let this driver adopt the instance only after it has stopped.");

/// <summary>A PostgreSQL tool exited with an error.</summary>
internal sealed class PostgresCommandFailedException(string tool, int exitCode, IReadOnlyList<string> output)
    : PostgresDriverException($"{tool} failed with exit code {exitCode}:\n{string.Join('\n', output.TakeLast(20))}")
{
    /// <summary>The tool's output lines.</summary>
    public IReadOnlyList<string> Output { get; } = output;
}

/// <summary>A written setting did not take effect after a reload (for example ALTER SYSTEM overrides it).</summary>
internal sealed class ConfigurationNotAppliedException(string message) : PostgresDriverException(message);

/// <summary>The requested role change is not possible from the instance's present state.</summary>
public sealed class InvalidRoleTransitionException(string message) : PostgresDriverException(message);

/// <summary>The sync did not catch up: it is absent, or its flush position stopped advancing. The primary stays read-only.</summary>
internal sealed class SyncNotCaughtUpException(PeerId sync, TimeSpan progressTimeout, string what)
    : PostgresDriverException($"Sync {sync} {what} for {progressTimeout.TotalSeconds:0.#} s; the primary stays read-only. " +
                              "Check the sync's log and its connection to the primary, or pick another sync.")
{
    /// <summary>The sync.</summary>
    public PeerId Sync { get; } = sync;
}

/// <summary>
/// A former primary was asked to rejoin behind an upstream that is not on a newer timeline: the upstream has not been
/// promoted yet. Nothing was changed; retry once it has.
/// </summary>
internal sealed class UpstreamNotAheadException(PeerId upstream, int upstreamTimeline, int localTimeline)
    : PostgresDriverException(
        $"Upstream {upstream} is on timeline {upstreamTimeline}, not past this instance's timeline {localTimeline}: it has not been " +
        "promoted yet, so there is no new history to rewind onto. Nothing was changed; retry once it has.");


/// <summary>
/// The PostgreSQL installation lacks the <c>appliance_guard</c> library, without which a client could get a commit
/// acknowledged before the sync holds it. PostgreSQL was not started and nothing was changed.
/// </summary>
internal sealed class CommitGuardMissingException(string libraryPath)
    : PostgresDriverException(
        $"{libraryPath} is missing, so PostgreSQL was not started: without the appliance_guard library a client could " +
        "lower synchronous_commit and get a commit acknowledged before the sync holds it. Build and install it from the " +
        "Appliance source tree: 'apt-get install postgresql-server-dev-15' and then, as root, " +
        "'make -C ext/appliance_guard install' (add PG_CONFIG=<bin-dir>/pg_config if several PostgreSQL versions are installed).")
{
    /// <summary>The file that was looked for.</summary>
    public string LibraryPath { get; } = libraryPath;
}
