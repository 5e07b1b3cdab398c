namespace Appliance.Nodes.Postgres;

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
