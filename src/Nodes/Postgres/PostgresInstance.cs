using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Appliance.Nodes.Postgres;

/// <summary>
/// One running postmaster, started by the driver as a child process. Its end, requested or not, completes
/// <see cref="Exited"/> at once.
/// </summary>
public sealed class PostgresInstance
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(50);

    private readonly Process _process;
    private readonly TaskCompletionSource<PostmasterExit> _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile bool _stopRequested;

    private PostgresInstance(Process process, DataDirectory dataDirectory, ServerParameters startedWith, LogTail log)
    {
        _process = process;
        Pid = process.Id;
        DataDirectory = dataDirectory;
        StartedWith = startedWith;
        Log = log;
    }

    /// <summary>The postmaster's process id.</summary>
    public int Pid { get; }

    /// <summary>The data directory it runs on.</summary>
    public DataDirectory DataDirectory { get; }

    /// <summary>The server parameters it read at start; a change to them needs a restart.</summary>
    public ServerParameters StartedWith { get; }

    /// <summary>The server's recent log lines (its standard error).</summary>
    public LogTail Log { get; }

    /// <summary>Completes when the postmaster has exited, for whatever reason.</summary>
    public Task<PostmasterExit> Exited => _exited.Task;

    /// <summary>True until the postmaster has exited.</summary>
    public bool IsRunning => !_exited.Task.IsCompleted;

    /// <summary>
    /// Starts <c>postgres -D</c> on a data directory whose configuration is already written, and waits until it
    /// accepts connections (as a primary, or as a hot standby that has reached consistency).
    /// </summary>
    /// <exception cref="PortInUseException">Something else listens on the port.</exception>
    /// <exception cref="PostgresStartFailedException">It exited, or was not ready within <paramref name="startTimeout"/> (then it is stopped).</exception>
    internal static async Task<PostgresInstance> StartAsync(PostgresBinaries binaries, DataDirectory dataDirectory,
        ServerParameters server, TimeSpan startTimeout, Action<string>? onLog, CancellationToken ct)
    {
        dataDirectory.RequireClusterOf(binaries);
        dataDirectory.ClearStalePidFile();
        await RequirePortFreeAsync(server.ListenAddress, server.Port, ct).ConfigureAwait(false);

        var log = new LogTail();
        var process = new Process { StartInfo = PostgresOsUser.StartInfo(binaries.Postgres, ["-D", dataDirectory.Path]) };
        if (!process.Start()) throw new PostgresStartFailedException($"Could not start {binaries.Postgres}.", []);
        process.StandardInput.Close();
        var instance = new PostgresInstance(process, dataDirectory, server, log);
        void OnLine(string line)
        {
            log.Add(line);
            onLog?.Invoke(line);
        }
        _ = OutputLines.PumpAsync(process.StandardOutput, OnLine);
        _ = OutputLines.PumpAsync(process.StandardError, OnLine);
        _ = instance.WatchExitAsync();

        try
        {
            await instance.WaitUntilReadyAsync(startTimeout, ct).ConfigureAwait(false);
            return instance;
        }
        catch
        {
            // Cancelled or timed out: a half-started server must not linger behind the caller's back.
            if (instance.IsRunning)
                await instance.StopAsync(TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(5), CancellationToken.None).ConfigureAwait(false);
            throw;
        }
    }

    private async Task WatchExitAsync()
    {
        await _process.WaitForExitAsync().ConfigureAwait(false);
        _exited.TrySetResult(new PostmasterExit(Pid, _process.ExitCode, _stopRequested, DateTimeOffset.UtcNow, Log.Last()));
        _process.Dispose();
    }

    private async Task WaitUntilReadyAsync(TimeSpan timeout, CancellationToken ct)
    {
        var deadline = DateTimeOffset.UtcNow + timeout;
        var pidFile = DataDirectory.File(PostmasterPidFile.FileName);
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            if (Exited.IsCompleted)
            {
                var exit = await Exited.ConfigureAwait(false);
                if (Log.Contains("Address already in use") || Log.Contains("could not create any TCP/IP sockets"))
                    throw new PortInUseException(StartedWith.ListenAddress, StartedWith.Port, "(PostgreSQL could not bind it.)");
                throw new PostgresStartFailedException(
                    $"PostgreSQL on {DataDirectory.Path} exited with code {exit.ExitCode} while starting.", Log.Last());
            }
            var status = ReadStatus(pidFile);
            if (status is { } s && s.Pid == Pid && s.Status is "ready" or "standby") return;
            if (DateTimeOffset.UtcNow > deadline)
                throw new PostgresStartFailedException(
                    $"PostgreSQL on {DataDirectory.Path} did not accept connections within {timeout.TotalSeconds:0} s " +
                    "(a standby waits for WAL from its upstream to become consistent); it was stopped.", Log.Last());
            await Task.WhenAny(Exited, Task.Delay(PollInterval, ct)).ConfigureAwait(false);
        }
    }

    private static PostmasterPidFile? ReadStatus(string pidFile)
    {
        try { return PostmasterPidFile.TryParse(File.ReadAllText(pidFile)); }
        catch (IOException) { return null; }
    }

    /// <summary>Asks the postmaster to re-read its configuration (SIGHUP).</summary>
    public void Reload()
    {
        Interlocked.Increment(ref _reloads);
        Signal(ProcessSignal.Hangup);
    }

    private long _reloads;

    /// <summary>How many times <see cref="Reload"/> signalled this postmaster.</summary>
    public long Reloads => Interlocked.Read(ref _reloads);

    /// <summary>
    /// Stops the server: a fast shutdown (SIGINT: roll back clients, checkpoint), then after
    /// <paramref name="fastTimeout"/> an immediate one (SIGQUIT: no checkpoint, crash recovery at next start), then
    /// SIGKILL. Never the smart mode (SIGTERM), which waits for every client to leave.
    /// </summary>
    public async Task<PostmasterExit> StopAsync(TimeSpan fastTimeout, TimeSpan immediateTimeout, CancellationToken ct)
    {
        _stopRequested = true;
        foreach (var (signal, timeout) in new[] { (ProcessSignal.Interrupt, fastTimeout), (ProcessSignal.Quit, immediateTimeout) })
        {
            if (!IsRunning) break;
            Signal(signal);
            if (await WaitExitedAsync(timeout, ct).ConfigureAwait(false)) break;
        }
        if (IsRunning) await KillAsync(ct).ConfigureAwait(false);
        return await Exited.ConfigureAwait(false);
    }

    /// <summary>
    /// Kills the postmaster outright (SIGKILL), as a crash would, and waits until its children have noticed and
    /// gone too, so that the data directory is free for the next start or for pg_rewind. The shared memory segment
    /// it leaves is removed, as the next start would do, so that a directory deleted instead leaks none.
    /// </summary>
    public async Task<PostmasterExit> KillAsync(CancellationToken ct)
    {
        _stopRequested = true;
        var children = ProcStat.ChildrenOf(Pid);
        if (IsRunning) ProcessSignal.Send(Pid, ProcessSignal.Kill);
        var exit = await Exited.WaitAsync(ct).ConfigureAwait(false);
        while (children.Any(c => Directory.Exists($"/proc/{c}")))
            await Task.Delay(PollInterval, ct).ConfigureAwait(false);
        OrphanedSharedMemory.Release(DataDirectory.Path);
        return exit;
    }

    private async Task<bool> WaitExitedAsync(TimeSpan timeout, CancellationToken ct)
    {
        try
        {
            await Exited.WaitAsync(timeout, ct).ConfigureAwait(false);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }

    private void Signal(int signal)
    {
        if (IsRunning && !ProcessSignal.Send(Pid, signal) && IsRunning)
            throw new PostgresDriverException($"Could not send signal {signal} to postmaster {Pid}.");
    }

    /// <summary>Throws <see cref="PortInUseException"/> if something listens on the port already.</summary>
    internal static async Task RequirePortFreeAsync(string host, int port, CancellationToken ct)
    {
        var addresses = IPAddress.TryParse(host, out var ip) ? [ip] : await Dns.GetHostAddressesAsync(host, ct).ConfigureAwait(false);
        foreach (var address in addresses)
        {
            using var listener = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                listener.Bind(new IPEndPoint(address, port));
                listener.Listen(1);
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressAlreadyInUse)
            {
                throw new PortInUseException(host, port, "");
            }
        }
    }
}
