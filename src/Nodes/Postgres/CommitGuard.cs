namespace Appliance.Nodes.Postgres;

/// <summary>
/// The <c>appliance_guard</c> server library (ext/appliance_guard): while a sync is named, it refuses a client commit
/// whose <c>synchronous_commit</c> is below <c>on</c>, so no client can get a commit acknowledged by the primary alone.
/// </summary>
internal static class CommitGuard
{
    /// <summary>The library's name, as written in <c>shared_preload_libraries</c>.</summary>
    public const string LibraryName = "appliance_guard";

    /// <summary>The read-only setting that shows <c>on</c> once the library is loaded.</summary>
    public const string EnabledSetting = LibraryName + ".enabled";

    /// <summary>
    /// The superuser-only setting that lets one transaction commit below <c>on</c>; only the bootstrap transaction that
    /// creates the replication role (before any sync can connect) uses it.
    /// </summary>
    public const string AllowLocalCommitSetting = LibraryName + ".allow_local_commit";

    /// <summary>The file the server loads from its package library directory.</summary>
    public static string LibraryPath(string packageLibDirectory) => Path.Combine(packageLibDirectory, LibraryName + ".so");

    /// <summary>Fails unless the library is installed in <paramref name="packageLibDirectory"/>; checked before every start.</summary>
    /// <exception cref="CommitGuardMissingException">It is not there; the message says how to install it.</exception>
    public static void RequireInstalled(string packageLibDirectory)
    {
        var path = LibraryPath(packageLibDirectory);
        if (!File.Exists(path)) throw new CommitGuardMissingException(path);
    }
}
