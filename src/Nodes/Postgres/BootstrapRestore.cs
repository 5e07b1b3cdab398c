using Appliance.Nodes.Backup;
using Npgsql;

namespace Appliance.Nodes.Postgres;

/// <summary>
/// Makes a new cluster's first database from the repository instead of initdb: <c>pgbackrest restore</c> into the empty
/// data directory, then a private run of the restored server that replays the archive up to the target and promotes
/// onto a new timeline, archiving that timeline's history into the same stanza as it goes (same system identifier, so
/// pgBackRest accepts it; PostgreSQL picks a timeline no history file in the archive has yet, since the restore_command
/// lets it look). The run listens on no TCP port, only on a private socket that trusts the superuser, so that the
/// superuser's password can be set to this cluster's (the restored one is the old cluster's). It then stops cleanly and
/// the recovery settings are removed, and the node starts it as a primary as it would after initdb.
/// </summary>
internal static class BootstrapRestore
{
    /// <summary>The lines pgBackRest writes into <c>postgresql.auto.conf</c> for recovery, removed once recovery is over.</summary>
    /// <summary>Restores and recovers; the data directory then holds a stopped, promoted cluster.</summary>
    /// <param name="settings">The node's backup settings (its pgBackRest config names the repository and this data directory).</param>
    /// <param name="bootstrap">Where recovery stops.</param>
    /// <param name="binDirectory">PostgreSQL's bin directory.</param>
    /// <param name="dataDirectory">The empty data directory (existing, owned by postgres, mode 0700).</param>
    /// <param name="port">The port of the private run's socket.</param>
    /// <param name="superuserPassword">This cluster's superuser password, given to the restored superuser.</param>
    /// <param name="onLine">Progress lines of pgBackRest and pg_ctl.</param>
    /// <param name="ct">Cancels; the directory is then left half-restored for the caller to remove.</param>
    /// <exception cref="PgBackRestException">The restore or the recovery failed; the message holds the tool's or the server's last lines.</exception>
    public static async Task RunAsync(BackupSettings settings, BackupBootstrap bootstrap, string binDirectory, string dataDirectory, int port,
        string superuserPassword, Action<string>? onLine, CancellationToken ct)
    {
        var args = new List<string>
        {
            // info, not detail: a line per file would flood the node's PostgreSQL log, which rotates by size.
            "--log-level-console=info",
            "--recovery-option=restore_command=" + BackupSettings.ArchiveGetCommand(settings.ConfigFile, settings.Stanza),
        };
        args.AddRange(bootstrap.Target?.Arguments ?? []);
        await new PgBackRest(settings, null, null).RestoreInPlaceAsync(args, onLine, ct).ConfigureAwait(false);

        if (OperatingSystem.IsWindows()) throw new PlatformNotSupportedException("The PostgreSQL driver runs on Linux.");
        // A short private directory: a Unix socket's path may not exceed 107 bytes.
        var run = Path.Combine(Path.GetTempPath(), "appliance-bootstrap-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(run, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        PostgresOsUser.GiveToPostgres(run);
        var pgCtl = Path.Combine(binDirectory, "pg_ctl");
        var log = Path.Combine(run, "recovery.log");
        try
        {
            var hba = Path.Combine(run, "pg_hba.conf");
            await PrivateFile.WriteAsync(hba, $"local all {ClusterCredentials.Superuser} trust\n", ct).ConfigureAwait(false);
            // Over the restored server's own settings (the old cluster's appliance.conf): no TCP, no TLS files that may not
            // exist here, no sync to wait for, writable once promoted, and this node's archive_command into the stanza.
            // hot_standby off: no connection is taken until recovery is over and the server promoted.
            // pg_ctl hands -o to a shell, so each setting is one shell word.
            var options = new[]
            {
                $"port={port}", "listen_addresses=", $"unix_socket_directories={run}", $"hba_file={hba}", "ssl=off", "hot_standby=off",
                "synchronous_standby_names=", "default_transaction_read_only=off", "archive_mode=on", $"archive_command={settings.ArchiveCommand}",
            }.Select(o => "-c " + BackupSettings.ShellQuote(o));
            var started = await PostgresCommand.RunAsync(pgCtl, ["start", "-D", dataDirectory, "-l", log, "-w", "-t", "86400", "-o", string.Join(' ', options)],
                null, onLine, ct).ConfigureAwait(false);
            if (started.ExitCode != 0)
                throw new PgBackRestException($"The restored server did not recover and promote: {Tail(log)}");
            await using (var connection = await ConnectWhenPromotedAsync(pgCtl, dataDirectory, run, port, log, ct).ConfigureAwait(false))
            {
                await using var inRecovery = new NpgsqlCommand("SELECT pg_is_in_recovery()", connection);
                if ((bool)(await inRecovery.ExecuteScalarAsync(ct).ConfigureAwait(false))!)
                    throw new PgBackRestException($"The restored server is still in recovery after it started: {Tail(log)}");
                var verifier = ScramVerifier.CanHash(superuserPassword) ? ScramVerifier.Create(superuserPassword) : superuserPassword;
                await using var build = new NpgsqlCommand("SELECT format('ALTER ROLE %I PASSWORD %L', @role::text, @secret::text)", connection);
                build.Parameters.AddWithValue("role", ClusterCredentials.Superuser);
                build.Parameters.AddWithValue("secret", verifier);
                await using var alter = new NpgsqlCommand((string)(await build.ExecuteScalarAsync(ct).ConfigureAwait(false))!, connection);
                await alter.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }
            var stopped = await PostgresCommand.RunAsync(pgCtl, ["stop", "-D", dataDirectory, "-m", "fast", "-w", "-t", "600"], null, onLine, ct)
                .ConfigureAwait(false);
            if (stopped.ExitCode != 0) throw new PgBackRestException($"The restored server did not stop: {Tail(log)}");
        }
        catch
        {
            // Never leave the private run behind: it would hold the port and the data directory.
            await PostgresCommand.RunAsync(pgCtl, ["stop", "-D", dataDirectory, "-m", "immediate", "-w"], null, null, CancellationToken.None).ConfigureAwait(false);
            throw;
        }
        finally
        {
            try { Directory.Delete(run, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
        // A standby made from this directory later (by a clone, or this one after a failover) must never fetch WAL from
        // the archive or stop at the old target.
        await RestoredRecoverySettings.StripFileAsync(new DataDirectory(dataDirectory), ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Connects once the private run takes connections: with hot_standby off it refuses them (57P03) until recovery
    /// is over and it promoted, and pg_ctl -w may return before that. Fails if the server stops meanwhile (a target
    /// the archive does not reach, a missing segment), with its log.
    /// </summary>
    private static async Task<NpgsqlConnection> ConnectWhenPromotedAsync(string pgCtl, string dataDirectory, string socket, int port, string log,
        CancellationToken ct)
    {
        var text = new NpgsqlConnectionStringBuilder
            { Host = socket, Port = port, Username = ClusterCredentials.Superuser, Database = "postgres", Pooling = false, Timeout = 10 }.ConnectionString;
        while (true)
        {
            var connection = new NpgsqlConnection(text);
            try
            {
                await connection.OpenAsync(ct).ConfigureAwait(false);
                return connection;
            }
            catch (Exception e) when (e is PostgresException { SqlState: "57P03" } or NpgsqlException { InnerException: System.Net.Sockets.SocketException })
            {
                await connection.DisposeAsync().ConfigureAwait(false);
                // pg_ctl status: 0 while the postmaster runs, 3 once it is gone.
                if ((await PostgresCommand.RunAsync(pgCtl, ["status", "-D", dataDirectory], null, null, ct).ConfigureAwait(false)).ExitCode != 0)
                    throw new PgBackRestException($"The restored server stopped during recovery: {Tail(log)}");
                await Task.Delay(TimeSpan.FromMilliseconds(500), ct).ConfigureAwait(false);
            }
        }
    }

    private static string Tail(string log) =>
        File.Exists(log) ? string.Join(" | ", File.ReadLines(log).TakeLast(8).Select(l => l.Trim())) : "(no server log)";
}
