using Appliance.Nodes.Postgres;
using Appliance.Nodes.State;

namespace Appliance.Testing;

/// <summary>
/// A scratch directory under /tmp/appliance-tests (every parent traversable by the postgres user, never under the
/// repository) with PostgreSQL nodes in it, all stopped and deleted on dispose.
/// </summary>
public sealed class TestCluster : IAsyncDisposable
{
    public const string Root = ScratchDirectory.Root;
    private static readonly Lazy<Task<PostgresBinaries>> SharedBinaries =
        new(() => PostgresBinaries.LocateAsync(null, CancellationToken.None));

    private readonly List<PostgresDriver> _nodes = [];

    public TestCluster()
    {
        Path_ = ScratchDirectory.Create();
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

    public DriverSettings Settings(PeerId self) =>
        new(self, System.IO.Path.Combine(Path_, self.Id), Credentials, ["127.0.0.1"])
        {
            Tuning = SmallTuning,
            Timeouts = TestTimeouts,
        };

    public async Task<PostgresDriver> NodeAsync(PeerId self, DriverSettings? settings = null)
    {
        var node = new PostgresDriver(settings ?? Settings(self), await Binaries(), LogSink(self));
        lock (_nodes) _nodes.Add(node);
        return node;
    }

    /// <summary>A fresh cluster's first primary, started read-only and naming <paramref name="sync"/> (default: a peer that never comes).</summary>
    public async Task<PostgresDriver> ReadOnlyPrimaryAsync(PeerId self, PeerId? sync = null)
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

    /// <summary>A port nobody listens on and no other test process on this machine was given (<see cref="TestPorts"/>).</summary>
    public static int FreePort() => TestPorts.Next();

    public async ValueTask DisposeAsync()
    {
        foreach (var node in _nodes)
        {
            try { await node.KillAsync(CancellationToken.None); }
            catch (Exception e) { Console.Error.WriteLine($"cleanup of {node.Settings.Self}: {e.Message}"); }
        }
        ScratchDirectory.Delete(Path_);
    }
}
