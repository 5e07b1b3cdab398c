using System.Globalization;

namespace Appliance.Nodes.Postgres;

/// <summary>A data directory and the files the driver reads and writes in it while the server may be down.</summary>
/// <param name="Path">The directory.</param>
public sealed record DataDirectory(string Path)
{
    /// <summary>The marker that makes PostgreSQL start as a standby.</summary>
    public const string StandbySignalFile = "standby.signal";

    /// <summary>What the directory holds.</summary>
    public DataDirectoryKind Kind =>
        !Directory.Exists(Path) || !Directory.EnumerateFileSystemEntries(Path).Any() ? DataDirectoryKind.Empty
        : System.IO.File.Exists(File("PG_VERSION")) ? DataDirectoryKind.Cluster
        : DataDirectoryKind.Other;

    /// <summary>The major version in PG_VERSION.</summary>
    /// <exception cref="DataDirectoryNotInitializedException">There is no PG_VERSION.</exception>
    public int MajorVersion
    {
        get
        {
            var file = File("PG_VERSION");
            if (!System.IO.File.Exists(file)) throw new DataDirectoryNotInitializedException(Path);
            var text = System.IO.File.ReadAllText(file).Trim();
            return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var v)
                ? v
                : throw new PostgresDriverException($"{file} says '{text}', which is not a PostgreSQL major version; the data directory is damaged.");
        }
    }

    /// <summary>Throws unless the directory is a cluster of the binaries' major version. Reads only.</summary>
    public void RequireClusterOf(PostgresBinaries binaries)
    {
        if (Kind != DataDirectoryKind.Cluster) throw new DataDirectoryNotInitializedException(Path);
        var found = MajorVersion;
        if (found != binaries.MajorVersion)
            throw new WrongMajorVersionException($"Data directory {Path}", found, binaries.MajorVersion, binaries.BinDirectory);
    }

    /// <summary>Reads pg_control through <c>pg_controldata</c>.</summary>
    public async Task<ControlData> ReadControlDataAsync(PostgresBinaries binaries, CancellationToken ct)
    {
        RequireClusterOf(binaries);
        var result = await PostgresCommand.RunCheckedAsync(binaries.ControlData, ["-D", Path], null, ct).ConfigureAwait(false);
        return ControlData.Parse(string.Join('\n', result.Output));
    }

    /// <summary>The full path of a file in the directory.</summary>
    public string File(string name) => System.IO.Path.Combine(Path, name);

    /// <summary>Creates the directory (mode 0700, owned by postgres) if it is missing.</summary>
    public void EnsureExists()
    {
        if (OperatingSystem.IsWindows()) throw new PlatformNotSupportedException("The PostgreSQL driver runs on Linux.");
        if (!Directory.Exists(Path))
            Directory.CreateDirectory(Path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        PostgresOsUser.GiveToPostgres(Path);
    }

    /// <summary>Replaces a file atomically (write aside, then rename), readable only by its owner, postgres.</summary>
    public async Task WriteFileAsync(string name, string content, CancellationToken ct)
    {
        var target = File(name);
        var temp = target + ".appliance-tmp";
        await PrivateFile.WriteAsync(temp, content, ct).ConfigureAwait(false);
        System.IO.File.Move(temp, target, overwrite: true);
    }

    /// <summary>True if <c>standby.signal</c> is present.</summary>
    public bool HasStandbySignal => System.IO.File.Exists(File(StandbySignalFile));

    /// <summary>Creates or removes <c>standby.signal</c>.</summary>
    public async Task SetStandbySignalAsync(bool present, CancellationToken ct)
    {
        if (present && !HasStandbySignal) await WriteFileAsync(StandbySignalFile, "", ct).ConfigureAwait(false);
        if (!present) System.IO.File.Delete(File(StandbySignalFile));
    }

    /// <summary>Appends the include of <c>appliance.conf</c> to <c>postgresql.conf</c> once; the operator's lines stay.</summary>
    public async Task EnsureApplianceIncludeAsync(CancellationToken ct)
    {
        var conf = File("postgresql.conf");
        var text = System.IO.File.Exists(conf) ? await System.IO.File.ReadAllTextAsync(conf, ct).ConfigureAwait(false) : "";
        var updated = ApplianceConfigFile.WithInclude(text);
        if (updated != text) await WriteFileAsync("postgresql.conf", updated, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Removes <c>postmaster.pid</c> if no live postmaster of this directory owns it, so that a crash (or a reboot
    /// that recycled the pid) never blocks a start.
    /// </summary>
    /// <exception cref="InstanceAlreadyRunningException">A postmaster still runs on this directory.</exception>
    public void ClearStalePidFile()
    {
        var file = File(PostmasterPidFile.FileName);
        if (!System.IO.File.Exists(file)) return;
        var pidFile = PostmasterPidFile.TryParse(System.IO.File.ReadAllText(file));
        if (pidFile is not null && ProcessRunsOn(pidFile.Pid, Path))
            throw new InstanceAlreadyRunningException(Path, pidFile.Pid);
        System.IO.File.Delete(file);
    }

    /// <summary>
    /// True if process <paramref name="pid"/> is alive and its working directory is <paramref name="dataDirectory"/>:
    /// a postmaster (and a single-user backend) chdirs into its data directory, other processes almost never do.
    /// </summary>
    internal static bool ProcessRunsOn(int pid, string dataDirectory) =>
        // A process whose working directory we may not read: the pid file names it, so it is taken for the server if it
        // is a postgres process at all (its name is readable by anyone), not if the pid was reused by something else.
        WorkingDirectoryIs(pid, dataDirectory) ?? IsPostgres(pid);

    private static bool IsPostgres(int pid)
    {
        try { return System.IO.File.ReadAllText($"/proc/{pid}/comm").Trim() == "postgres"; }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return false; }
    }

    /// <summary>
    /// Whether process <paramref name="pid"/>'s working directory is <paramref name="dataDirectory"/>: false when it is
    /// gone or elsewhere, null when it may not be inspected.
    /// </summary>
    internal static bool? WorkingDirectoryIs(int pid, string dataDirectory)
    {
        try
        {
            var cwd = new DirectoryInfo($"/proc/{pid}/cwd").ResolveLinkTarget(returnFinalTarget: false)?.FullName;
            if (cwd is null) return false;
            return System.IO.Path.GetFullPath(cwd).TrimEnd('/') == System.IO.Path.GetFullPath(dataDirectory).TrimEnd('/');
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
        catch (IOException)
        {
            return false;   // gone
        }
    }
}
