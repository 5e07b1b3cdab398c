using Appliance.Nodes.State;

namespace Appliance.Nodes.Postgres;

/// <summary>
/// Copies an upstream (primary or standby) into an empty directory with <c>pg_basebackup -X stream</c>. On any
/// failure the partial copy is removed, so the directory is empty again and a retry can start over; a finished copy
/// carries <c>standby.signal</c>.
/// </summary>
public static class BaseBackupCloner
{
    /// <summary>Clones <paramref name="upstream"/> into <paramref name="target"/>, which must be empty or absent.</summary>
    /// <exception cref="DataDirectoryNotEmptyException">The target holds files; they were not touched.</exception>
    /// <exception cref="UpstreamUnreachableException">The upstream did not answer; nothing was written.</exception>
    /// <exception cref="WrongMajorVersionException">The upstream runs another major version; nothing was written.</exception>
    /// <exception cref="DiskFullException">The target's file system filled up; the partial copy was removed.</exception>
    public static async Task CloneAsync(PostgresBinaries binaries, DriverSettings settings, PeerId upstream, DataDirectory target,
        IProgress<BaseBackupProgress>? progress, CancellationToken ct)
    {
        if (target.Kind != DataDirectoryKind.Empty)
            throw new DataDirectoryNotEmptyException(target.Path, await DescribeAsync(binaries, target, ct).ConfigureAwait(false));

        var identity = await UpstreamIdentity.ReadAsync(upstream, settings.Credentials, settings.Timeouts.Connect, ct).ConfigureAwait(false);
        identity.RequireMajorVersion(binaries, upstream);

        var existed = Directory.Exists(target.Path);
        target.EnsureExists();
        // The application_name holds a ':' that no peer id may hold, so a primary can never mistake the clone's WAL
        // stream for its sync.
        var conninfo = ConnInfo.For(upstream.Host, upstream.Port, settings.Credentials.ReplicationUser, password: null,
            applicationName: $"appliance-clone:{settings.Self.Id}", tls: settings.Credentials.Tls);
        string[] args = ["-D", target.Path, "-X", "stream", "--checkpoint=fast", "--progress", "--no-password", "-d", conninfo.Render()];
        CommandResult? result = null;
        try
        {
            result = await PostgresCommand.RunAsync(binaries.BaseBackup, args,
                new Dictionary<string, string> { ["PGPASSWORD"] = settings.Credentials.ReplicationPassword },
                line =>
                {
                    if (BaseBackupProgress.TryParse(line) is { } p) progress?.Report(p);
                }, ct).ConfigureAwait(false);
        }
        finally
        {
            if (result is not { ExitCode: 0 }) RemovePartialCopy(target.Path, existed);
        }

        if (result.ExitCode == 0)
        {
            // A copy is a standby until told otherwise, and says so at once: a clone whose first start was cancelled
            // (a new state arrived) would otherwise look like a former primary, and the next attempt would try to
            // rewind it onto the timeline it is already on, and wait for a promotion that never comes (CI: a new
            // sync stuck so, and its primary never took writes). Not cancellable: the copy is complete.
            await target.SetStandbySignalAsync(true, CancellationToken.None).ConfigureAwait(false);
            return;
        }
        var output = result.Output;
        if (output.Any(l => l.Contains("No space left on device", StringComparison.Ordinal)))
            throw new DiskFullException(target.Path, output.Last(l => l.Contains("No space left on device", StringComparison.Ordinal)));
        if (output.Any(l => l.Contains("could not connect", StringComparison.Ordinal) ||
                            l.Contains("connection to server", StringComparison.Ordinal)))
            throw new UpstreamUnreachableException(upstream, string.Join(" ", output.TakeLast(3)));
        throw new PostgresCommandFailedException("pg_basebackup", result.ExitCode, output);
    }

    /// <summary>
    /// Why <paramref name="upstream"/> cannot be cloned yet, or null when it can: it must accept connections and hold the
    /// replication role. A reason while it is down, starting, or still being initialized (a new cluster's first primary
    /// creates the role only once it runs), so that a waiting standby polls instead of failing and backing off.
    /// </summary>
    /// <exception cref="Npgsql.NpgsqlException">The upstream answers but refuses this node (a wrong password, no
    /// pg_hba.conf entry, a TLS failure): not something waiting cures, so the caller fails in the driver's own words.</exception>
    public static async Task<string?> WhyNotReadyToCloneAsync(PeerId upstream, DriverSettings settings, CancellationToken ct)
    {
        try
        {
            await using var connection = await DriverConnection.OpenSuperuserAsync(upstream.Host, upstream.Port, settings.Credentials,
                settings.Timeouts.Connect, ct).ConfigureAwait(false);
            await using var command = new Npgsql.NpgsqlCommand(
                "SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = @replication AND rolreplication)", connection)
            {
                Parameters = { new("replication", settings.Credentials.ReplicationUser) },
            };
            return (bool)(await command.ExecuteScalarAsync(ct).ConfigureAwait(false))!
                ? null
                : $"{upstream.Id} has no replication role {settings.Credentials.ReplicationUser} yet";
        }
        catch (Exception e) when (NotAnsweringYet(e) && !ct.IsCancellationRequested)
        {
            return $"{upstream.Id} does not answer yet ({e.Message})";
        }
    }

    // Down, not listening yet (network errors Npgsql calls transient), or starting up / shutting down (57P03
    // cannot_connect_now). A refusal (password, pg_hba, TLS) is an answer.
    private static bool NotAnsweringYet(Exception e) => e switch
    {
        Npgsql.PostgresException p => p.SqlState == Npgsql.PostgresErrorCodes.CannotConnectNow,
        Npgsql.NpgsqlException n => n.IsTransient,
        System.Net.Sockets.SocketException or TimeoutException => true,
        _ => false,
    };

    private static async Task<string> DescribeAsync(PostgresBinaries binaries, DataDirectory target, CancellationToken ct)
    {
        if (target.Kind != DataDirectoryKind.Cluster)
            return $"{Directory.EnumerateFileSystemEntries(target.Path).Count()} entries, no PostgreSQL cluster";
        try
        {
            var control = await target.ReadControlDataAsync(binaries, ct).ConfigureAwait(false);
            return $"a PostgreSQL cluster with system identifier {control.SystemIdentifier}";
        }
        catch (PostgresDriverException e)
        {
            return $"a PostgreSQL cluster ({e.Message.Split('\n')[0]})";
        }
    }

    /// <summary>Deletes what a failed clone left: the directory if the clone created it, else only its contents.</summary>
    internal static void RemovePartialCopy(string path, bool keepDirectory)
    {
        if (!Directory.Exists(path)) return;
        if (!keepDirectory)
        {
            Directory.Delete(path, recursive: true);
            return;
        }
        foreach (var dir in Directory.EnumerateDirectories(path)) Directory.Delete(dir, recursive: true);
        foreach (var file in Directory.EnumerateFiles(path)) File.Delete(file);
    }
}
