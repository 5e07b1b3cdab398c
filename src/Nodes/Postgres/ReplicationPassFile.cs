namespace Appliance.Nodes.Postgres;

/// <summary>
/// The libpq password file a standby's WAL receiver reads (<c>passfile</c> in <c>primary_conninfo</c>), so that the
/// setting itself holds no password: every role with <c>pg_read_all_settings</c> (<c>pg_monitor</c>, and so the monitoring
/// role, among them) can read <c>primary_conninfo</c>. The file is the data directory's, private to <c>postgres</c>.
/// </summary>
internal static class ReplicationPassFile
{
    /// <summary>The file's name inside the data directory.</summary>
    public const string FileName = "appliance.pgpass";

    /// <summary>Where the file of the data directory <paramref name="dataDirectory"/> is (an absolute path).</summary>
    public static string PathIn(string dataDirectory) => Path.Combine(Path.GetFullPath(dataDirectory), FileName);

    /// <summary>The whole file: one line that gives <paramref name="user"/> its password on every host, port and database.</summary>
    /// <exception cref="ArgumentException">A value holds a line break, which the format cannot carry.</exception>
    public static string Render(string user, string password) => $"*:*:*:{Escape(user)}:{Escape(password)}\n";

    // libpq's format: fields separated by ':', with '\' escaping ':' and '\'.
    private static string Escape(string value) =>
        value.IndexOfAny(['\n', '\r']) >= 0
            ? throw new ArgumentException("A password file line cannot hold a line break.", nameof(value))
            : value.Replace(@"\", @"\\", StringComparison.Ordinal).Replace(":", @"\:", StringComparison.Ordinal);
}
