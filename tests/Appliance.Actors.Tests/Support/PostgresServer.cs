using System.Diagnostics;

namespace Appliance.Actors.Tests.Support;

/// <summary>
/// A throwaway PostgreSQL 15 server on a free loopback port, in its own temporary directory, for the state-store
/// tests. Run as the <c>postgres</c> OS user when the tests run as root (PostgreSQL refuses root). A missing server
/// installation fails the test loudly: it never skips.
/// </summary>
public sealed class PostgresServer : IDisposable
{
    private const string BinDir = "/usr/lib/postgresql/15/bin";
    private readonly TempDirectory _dir = new();
    private readonly string _dataDir;
    private readonly bool _asPostgresUser = Environment.UserName == "root";

    public PostgresServer()
    {
        if (!File.Exists(Path.Combine(BinDir, "initdb")))
            throw new InvalidOperationException(
                $"PostgreSQL 15 is not installed ({BinDir}/initdb is missing); install Debian's postgresql-15 (.ci/run does).");
        _dataDir = Path.Combine(_dir.Path, "data");
        if (_asPostgresUser) Run("/usr/bin/chown", "-R", "postgres:postgres", _dir.Path);
        Port = TestPorts.Next();
        RunPostgresTool("initdb", "-D", _dataDir, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync");
        RunPostgresTool("pg_ctl", "-D", _dataDir, "-l", Path.Combine(_dir.Path, "server.log"), "-w", "-t", "60",
            "-o", $"-p {Port} -k {_dir.Path} -c listen_addresses=127.0.0.1 -c fsync=off", "start");
    }

    public int Port { get; }

    /// <summary>Connects as the superuser over TCP (trust authentication on this throwaway server).</summary>
    public string ConnectionString => $"Host=127.0.0.1;Port={Port};Username=postgres;Database=postgres;Pooling=true";

    public void Dispose()
    {
        try { RunPostgresTool("pg_ctl", "-D", _dataDir, "-m", "immediate", "-w", "stop"); }
        finally { _dir.Dispose(); }
    }

    private void RunPostgresTool(string tool, params string[] args)
    {
        var path = Path.Combine(BinDir, tool);
        if (_asPostgresUser)
            Run("/usr/bin/setpriv", ["--reuid=postgres", "--regid=postgres", "--init-groups", "--reset-env", "--", path, .. args]);
        else
            Run(path, args);
    }

    private static void Run(string file, params string[] args)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) start.ArgumentList.Add(a);
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {file}.");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromSeconds(90)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', args)} did not finish in 90 s.");
        }
        if (process.ExitCode != 0)
            throw new InvalidOperationException(
                $"{file} {string.Join(' ', args)} exited with {process.ExitCode}:\n{stdout.GetAwaiter().GetResult()}\n{stderr.GetAwaiter().GetResult()}");
    }
}
