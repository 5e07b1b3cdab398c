using System.Net;
using System.Net.Sockets;
using Appliance.Nodes.Postgres;
using Appliance.Nodes.State;
using Npgsql;

namespace Appliance.Nodes.Tests.Postgres;

/// <summary>
/// A scratch directory under /tmp/appliance-tests (every parent traversable by the postgres user, never under the
/// repository) with PostgreSQL nodes in it, all stopped and deleted on dispose.
/// </summary>
public sealed class TestCluster : IAsyncDisposable
{
    public const string Root = "/tmp/appliance-tests";
    private static readonly Lazy<Task<PostgresBinaries>> SharedBinaries =
        new(() => PostgresBinaries.LocateAsync(null, CancellationToken.None));
    private static readonly HashSet<int> HandedOutPorts = [];

    private readonly List<PostgresNode> _nodes = [];

    public TestCluster()
    {
        if (!OperatingSystem.IsLinux()) throw new PlatformNotSupportedException("These tests run PostgreSQL on Linux.");
        if (!Directory.Exists(Root))
        {
            // Shared like /tmp, so runs as root and as other users can both use it.
            Directory.CreateDirectory(Root);
            File.SetUnixFileMode(Root, (UnixFileMode)0b111_111_111 | UnixFileMode.StickyBit);
        }
        Path_ = Directory.CreateDirectory(System.IO.Path.Combine(Root, Guid.NewGuid().ToString("N")[..12])).FullName;
        File.SetUnixFileMode(Path_, (UnixFileMode)0b111_101_101);
    }

    public string Path_ { get; }

    /// <summary>The production credentials (<see cref="ClusterCredentials.FromSecret"/>) of a secret that needs quoting.</summary>
    public static ClusterCredentials Credentials { get; } = ClusterCredentials.FromSecret("s3cret 'super' \\pw");

    public static ServerTuning SmallTuning { get; } = new("16MB", 30, 10, "64MB");

    public static DriverTimeouts TestTimeouts { get; } = new(
        Start: TimeSpan.FromSeconds(60), FastStop: TimeSpan.FromSeconds(15), ImmediateStop: TimeSpan.FromSeconds(10),
        Reload: TimeSpan.FromSeconds(15), Promote: TimeSpan.FromSeconds(30), Connect: TimeSpan.FromSeconds(3));

    public static Task<PostgresBinaries> Binaries() => SharedBinaries.Value;

    public static PeerId Peer(string id) => new(id, "127.0.0.1", FreePort());

    public NodeSettings Settings(PeerId self) =>
        new(self, System.IO.Path.Combine(Path_, self.Id), Credentials, ["127.0.0.1"])
        {
            Tuning = SmallTuning,
            Timeouts = TestTimeouts,
        };

    public async Task<PostgresNode> NodeAsync(PeerId self, NodeSettings? settings = null)
    {
        var node = new PostgresNode(settings ?? Settings(self), await Binaries(), LogSink(self));
        lock (_nodes) _nodes.Add(node);
        return node;
    }

    /// <summary>A fresh cluster's first primary, started read-only and naming <paramref name="sync"/> (default: a peer that never comes).</summary>
    public async Task<PostgresNode> ReadOnlyPrimaryAsync(PeerId self, PeerId? sync = null)
    {
        var node = await NodeAsync(self);
        await node.InitializeAsync(default);
        await node.StartPrimaryAsync(sync ?? Peer("absent-sync"), default);
        return node;
    }

    /// <summary>With APPLIANCE_TEST_LOGS=DIR set, each server's log goes to DIR/&lt;random&gt;-&lt;id&gt;.log for debugging.</summary>
    private Action<string>? LogSink(PeerId self) => ServerLogSink($"{System.IO.Path.GetFileName(Path_)}-{self.Id}");

    /// <summary>
    /// With APPLIANCE_TEST_LOGS=DIR set, a sink that appends a PostgreSQL server's log lines to DIR/<paramref name="stem"/>.log
    /// (for debugging a failed run); without it, none.
    /// </summary>
    public static Action<string>? ServerLogSink(string stem)
    {
        var dir = Environment.GetEnvironmentVariable("APPLIANCE_TEST_LOGS");
        if (string.IsNullOrEmpty(dir)) return null;
        Directory.CreateDirectory(dir);
        var file = System.IO.Path.Combine(dir, $"{stem}.log");
        var gate = new object();
        return line =>
        {
            lock (gate) File.AppendAllText(file, line + "\n");
        };
    }

    /// <summary>A port nobody listens on and no other test in this run was given.</summary>
    public static int FreePort()
    {
        while (true)
        {
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            var port = ((IPEndPoint)socket.LocalEndPoint!).Port;
            lock (HandedOutPorts)
                if (HandedOutPorts.Add(port)) return port;
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var node in _nodes)
        {
            try { await node.KillAsync(CancellationToken.None); }
            catch (Exception e) { Console.Error.WriteLine($"cleanup of {node.Settings.Self}: {e.Message}"); }
        }
        if (Directory.Exists(Path_)) Directory.Delete(Path_, recursive: true);
    }
}

/// <summary>Waits on conditions with a deadline; never a fixed sleep.</summary>
public static class Eventually
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(60);

    public static async Task<T> ReturnsAsync<T>(Func<Task<T>> read, Func<T, bool> accept, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTimeOffset.UtcNow + (timeout ?? DefaultTimeout);
        T last = default!;
        Exception? lastError = null;
        while (DateTimeOffset.UtcNow < deadline)
        {
            try
            {
                last = await read();
                if (accept(last)) return last;
                lastError = null;
            }
            catch (Exception e) when (e is NpgsqlException or PostgresDriverException or SocketException)
            {
                lastError = e;
            }
            await Task.Delay(50);
        }
        throw new TimeoutException($"Timed out waiting until {what}; last value: {last}; last error: {lastError?.Message}");
    }

    public static Task TrueAsync(Func<Task<bool>> condition, string what, TimeSpan? timeout = null) =>
        ReturnsAsync(condition, ok => ok, what, timeout);
}

/// <summary>Client-side SQL against a node, as an application would run it.</summary>
public static class Sql
{
    public static async Task<NpgsqlConnection> ConnectAsync(PostgresNode node) => await node.Probe.OpenAsync(CancellationToken.None);

    public static async Task ExecAsync(PostgresNode node, string sql, CancellationToken ct = default)
    {
        await using var c = await ConnectAsync(node);
        await using var cmd = new NpgsqlCommand(sql, c);
        await cmd.ExecuteNonQueryAsync(ct);
    }

    public static async Task<T> ScalarAsync<T>(PostgresNode node, string sql)
    {
        await using var c = await ConnectAsync(node);
        await using var cmd = new NpgsqlCommand(sql, c);
        return (T)(await cmd.ExecuteScalarAsync())!;
    }

    public static async Task<long> CountAsync(PostgresNode node, string table, string where = "true") =>
        await ScalarAsync<long>(node, $"SELECT count(*) FROM {table} WHERE {where}");

    /// <summary>Waits until <paramref name="node"/> holds the row with <paramref name="id"/> in table t.</summary>
    public static Task HasRowAsync(PostgresNode node, int id) =>
        Eventually.TrueAsync(async () => await ScalarAsync<bool>(node, $"SELECT EXISTS (SELECT 1 FROM t WHERE id = {id})"),
            $"{node.Settings.Self.Id} has row {id}");
}

/// <summary>Runs OS commands the tests need (mount, id, stat).</summary>
public static class Shell
{
    /// <summary>Runs the program, fails the test if it exits non-zero, and returns its trimmed standard output.</summary>
    public static async Task<string> RunAsync(string program, params string[] args)
    {
        var psi = new System.Diagnostics.ProcessStartInfo(program) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var process = System.Diagnostics.Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"{program} {string.Join(' ', args)} failed ({process.ExitCode}): {stderr}");
        return (await stdout).Trim();
    }
}
