using System.Net.Http.Json;
using Appliance.Host.Api;
using Appliance.Host.Api.Json;
using Appliance.Host.Cli;
using Appliance.Host.Tls;
using Appliance.Launch;
using Npgsql;

namespace Appliance.Testing.Processes;

/// <summary>One node of a test cluster: its ports and its process.</summary>
public sealed record TestNode(string Name, int PgPort, int HttpPort, int AkkaPort, string DataDir)
{
    public AppProcess? Process { get; set; }
    public string Scheme { get; init; } = "http";
    public string Url => $"{Scheme}://127.0.0.1:{HttpPort}";
}

/// <summary>
/// Three real <c>appliance node</c> processes sharing a SQLite state store, shared by a test class. Every node has a
/// write token (<c>--api-token-file</c>) and a read token (<c>APPLIANCE_API_READ_TOKEN_FILE</c>); <see cref="Http"/>
/// and <see cref="CliAsync"/> send the write token. With <c>tls</c>, every node has a certificate from one CA
/// (<see cref="TlsDir"/>) and <see cref="Http"/> checks the nodes against it.
/// </summary>
public class NodeClusterFixture : IAsyncLifetime
{
    public NodeClusterFixture() : this(tls: false) { }

    protected NodeClusterFixture(bool tls)
    {
        Tls = tls;
        var handler = new SocketsHttpHandler();
        if (tls)
        {
            using var ca = CertificateAuthority.Create("test cluster CA");
            // n4 is a spare: a node that is not a seed, for a test to add.
            ca.WriteNodeFiles(TlsDir, ["n1", "n2", "n3", "n4"]);
            handler.SslOptions.RemoteCertificateValidationCallback = CustomRootTrust.ServerCallback(CustomRootTrust.Roots(CaFile));
        }
        Http = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(20), DefaultRequestHeaders = { Authorization = new("Bearer", WriteToken) } };
    }

    public bool Tls { get; }
    public string TlsDir => Path.Combine(Dir, "tls");
    public string CaFile => Path.Combine(TlsDir, CertificateAuthority.CaFileName);

    public const string Password = "test 'pw' \\x";
    public const string WriteToken = "write-token-0123456789abcdef";
    public const string ReadToken = "read-token-0123456789abcdef";
    public string Dir { get; } = ScratchDirectory.Create("host-");
    public List<TestNode> Nodes { get; } = [];
    public HttpClient Http { get; }
    public string WriteTokenFile => Path.Combine(Dir, "api-token");
    public string ReadTokenFile => Path.Combine(Dir, "api-read-token");

    public virtual async Task InitializeAsync()
    {
        PrepareNodes();
        foreach (var n in Nodes) n.Process = StartNode(n);
        await WaitFormedAsync();
    }

    /// <summary>
    /// Waits until a primary takes writes, the cluster is healthy and settled. A fixture that never forms fails every test
    /// of its class, so the whole logs show why (a CI run lost TlsClusterTests so); when every node has exited (a refused
    /// flag, a missing tool) it fails at once rather than after the deadline.
    /// </summary>
    protected async Task WaitFormedAsync()
    {
        await Eventually.TrueAsync(async () =>
        {
            if (Nodes.All(n => n.Process is { HasExited: true }))
                throw new InvalidOperationException("every node exited before a primary took writes" + Logs(lines: 1000));
            return await PrimaryAsync() is not null;
        }, () => "a primary takes writes" + Logs(lines: 1000), TimeSpan.FromSeconds(120));
        await WaitHealthyAsync();
        await WaitSettledAsync();
    }

    /// <summary>Writes the token files and adds the three seed nodes to <see cref="Nodes"/>, none of them started.</summary>
    protected void PrepareNodes()
    {
        // With the trailing newline an editor leaves: the node must trim it.
        PrivateFile(WriteTokenFile, WriteToken + "\n");
        PrivateFile(ReadTokenFile, ReadToken + "\n");
        for (var i = 1; i <= 3; i++)
            Nodes.Add(new TestNode($"n{i}", TestCluster.FreePort(), TestCluster.FreePort(), TestCluster.FreePort(), Path.Combine(Dir, $"n{i}"))
                { Scheme = Tls ? "https" : "http" });
    }

    /// <summary>
    /// Waits until verify finds no problem and the coordinator's relief has nothing left to move: neither the primary nor
    /// the sync runs on the coordinator's host (<see cref="ClusterViewDto.CoordinatorPeers"/>). Once the cluster has been
    /// quiet for <c>relieve-host-after</c> (15 s, src/Actors/reference.conf) the coordinator would otherwise move one of
    /// them by a switchover, in the middle of a test that reads the roles (A1 failed so, finding the primary moved or no
    /// async between two requests). A new cluster set up with all three nodes present puts the coordinator's host last,
    /// so this holds at once; one set up with two waits for the relief to move the sync (about 15 s). Last, every live
    /// node must have applied that state: verify sees a standby stream a moment before its role reports itself applied,
    /// and a test that then looks for the async by its /status found none (DownedNodeTests, after a relief move). The
    /// primary's role must also report that it takes writes, since <see cref="PrimaryAsync"/> asks its /primary.
    /// </summary>
    public Task WaitSettledAsync()
    {
        var last = "no answer yet";
        return Eventually.TrueAsync(async () =>
        {
            var view = await ClusterAsync(Live().First());
            var problems = ClusterProblems(view);
            last = problems.Count > 0 ? "verify: " + string.Join("; ", problems)
                : $"coordinator's host peers [{string.Join(",", view.CoordinatorPeers ?? [])}], state {view.State?.Primary?.Id}/{view.State?.Sync?.Id}";
            if (problems.Count > 0 || (ReliefOn && !NothingToRelieve(view))) return false;
            foreach (var n in Live())
            {
                var status = await StatusAsync(n);
                if (status.Role != status.AssignedRole || status.AppliedVersion != view.State!.Version)
                {
                    last = $"{n.Name} has applied {status.Role} for v{status.AppliedVersion}, assigned {status.AssignedRole} in v{view.State!.Version}";
                    return false;
                }
                // verify reads PostgreSQL, which takes writes a moment before its role reports so (PrimaryRole reports
                // itself applied read-only first, and read-write once the sync has caught up); /primary answers from
                // the role by this check, and C4 found no primary right after a settle that ended in that moment.
                if (view.State!.Primary?.Id == n.Name && !RoleChecks.Passes("primary", status))
                {
                    last = $"{n.Name} has applied primary for v{status.AppliedVersion} but its role does not take writes yet";
                    return false;
                }
            }
            return true;
        }, () => $"verify finds no problem, neither primary nor sync runs on the coordinator's host, and every node applied the state (last: {last})" + Logs(),
            TimeSpan.FromSeconds(120));
    }

    /// <summary>The coordinator moves the primary or sync off its own host (<c>relieve-host-after</c> is not <c>off</c>).</summary>
    protected virtual bool ReliefOn => true;

    private static bool NothingToRelieve(ClusterViewDto view) =>
        view is { CoordinatorPeers: { Count: > 0 } here, State: { } state } &&
        new[] { state.Primary, state.Sync }.OfType<PeerDto>().All(p => !here.Contains(p.Id));

    public AppProcess StartNode(TestNode n) => StartNode(n, Tls ? TlsFilesOf(n) : null);

    /// <summary>The certificate, key and CA files of node <paramref name="n"/> in <see cref="TlsDir"/>.</summary>
    public TlsFiles TlsFilesOf(TestNode n) => new(Path.Combine(TlsDir, $"{n.Name}.crt"), Path.Combine(TlsDir, $"{n.Name}.key"), CaFile);

    /// <summary>Starts <paramref name="n"/> as a member of this cluster, with <paramref name="tls"/> (passed as APPLIANCE_TLS_* variables) if given.</summary>
    public AppProcess StartNode(TestNode n, TlsFiles? tls, IEnumerable<string>? extra = null)
    {
        // A small size limit, so that PostgreSQL's log rotates during the tests (NodeApiSurfaceTests).
        var env = new Dictionary<string, string> { ["APPLIANCE_API_READ_TOKEN_FILE"] = ReadTokenFile, ["APPLIANCE_PG_LOG_MAX_SIZE"] = "64kB" };
        AddPassword(n, env);
        if (tls is not null)
        {
            env["APPLIANCE_TLS_CERT"] = tls.CertFile;
            env["APPLIANCE_TLS_KEY"] = tls.KeyFile;
            env["APPLIANCE_TLS_CA"] = tls.CaFile;
        }
        var flags = new NodeFlags(n.Name, n.AkkaPort, n.HttpPort, n.PgPort, n.DataDir, [.. Nodes.Take(3).Select(x => $"127.0.0.1:{x.AkkaPort}")],
            $"sqlite:{Path.Combine(Dir, "state.db")}")
        {
            ExitWithParent = Environment.ProcessId,
            Extra = ["--api-token-file", WriteTokenFile, .. extra ?? []],
        };
        return AppProcess.Start(flags.Arguments(), env);
    }

    /// <summary>Gives node <paramref name="n"/> the superuser's password (here in <c>APPLIANCE_PG_PASSWORD</c>).</summary>
    protected virtual void AddPassword(TestNode n, Dictionary<string, string> env) => env["APPLIANCE_PG_PASSWORD"] = Password;

    /// <summary>Adds a node to the running cluster with <paramref name="extra"/> flags (the first three are the seeds).</summary>
    public TestNode AddNode(string name, params string[] extra)
    {
        var n = new TestNode(name, TestCluster.FreePort(), TestCluster.FreePort(), TestCluster.FreePort(), Path.Combine(Dir, name)) { Scheme = Tls ? "https" : "http" };
        Nodes.Add(n);
        n.Process = StartNode(n, null, extra);
        return n;
    }

    /// <summary>Runs a CLI verb with the write token in <c>APPLIANCE_API_TOKEN</c>.</summary>
    public static Task<(int Code, string Out, string Err)> CliAsync(params string[] args) =>
        AppProcess.RunAsync(new Dictionary<string, string> { ["APPLIANCE_API_TOKEN"] = WriteToken }, args);

    /// <summary>Writes <paramref name="text"/> to <paramref name="path"/> with mode 0600, as a token file must be.</summary>
    public static void PrivateFile(string path, string text)
    {
        if (!OperatingSystem.IsLinux()) throw new PlatformNotSupportedException("These tests run on Linux.");
        File.WriteAllText(path, text);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
    }

    /// <summary>
    /// What verify finds wrong with the cluster itself. A cluster with a backup repository has no backup at first, which
    /// verify reports too; that is no unhealthy or unsettled cluster (BackupScheduleProcessTests checks those problems).
    /// </summary>
    public static List<string> ClusterProblems(ClusterViewDto view) =>
        Verify.Problems(view).Where(p => !p.StartsWith("backups: ", StringComparison.Ordinal)).ToList();

    /// <summary>Waits until verify finds nothing (every peer streams as the state says).</summary>
    public Task WaitHealthyAsync()
    {
        var last = "no answer yet";
        return Eventually.TrueAsync(async () =>
        {
            var problems = ClusterProblems(await ClusterAsync(Live().First()));
            last = string.Join("; ", problems);
            return problems.Count == 0;
        }, () => $"verify finds no problem (last: {last})" + Logs(), TimeSpan.FromSeconds(120));
    }

    public IEnumerable<TestNode> Live() => Nodes.Where(n => n.Process is { HasExited: false });

    public async Task<ClusterViewDto> ClusterAsync(TestNode via) =>
        (await Http.GetFromJsonAsync<ClusterViewDto>(via.Url + "/cluster", ApiJson.Options))!;

    public async Task<StatusDto> StatusAsync(TestNode n) => (await Http.GetFromJsonAsync<StatusDto>(n.Url + "/status", ApiJson.Options))!;

    /// <summary>The node whose /primary answers 200, if any.</summary>
    public async Task<TestNode?> PrimaryAsync()
    {
        foreach (var n in Live())
        {
            try
            {
                using var r = await Http.GetAsync(n.Url + "/primary");
                if ((int)r.StatusCode == 200) return n;
            }
            catch (HttpRequestException) { }
        }
        return null;
    }

    public async Task<TestNode> NodeInRoleAsync(string role)
    {
        var seen = new List<string>();
        foreach (var n in Live())
        {
            var status = await StatusAsync(n);
            if (status.Role == role) return n;
            seen.Add($"{n.Name} {status.Role} (assigned {status.AssignedRole}) for v{status.AppliedVersion} of v{status.StateVersion}");
        }
        throw new InvalidOperationException($"no live node is {role}: {string.Join("; ", seen)}{Logs()}");
    }

    public static async Task<long> WriteAsync(TestNode n, string password = Password)
    {
        var cs = new NpgsqlConnectionStringBuilder { Host = "127.0.0.1", Port = n.PgPort, Username = "postgres", Password = password, Database = "postgres", Timeout = 5, Pooling = false };
        await using var c = new NpgsqlConnection(cs.ConnectionString);
        await c.OpenAsync();
        await using var cmd = new NpgsqlCommand("CREATE TABLE IF NOT EXISTS w (id bigserial PRIMARY KEY, at timestamptz DEFAULT now()); INSERT INTO w DEFAULT VALUES RETURNING id", c);
        return (long)(await cmd.ExecuteScalarAsync())!;
    }

    /// <summary>The last <paramref name="lines"/> lines of each node's output and all of its errors, for a failure message.</summary>
    public string Logs(int lines = 15) => string.Concat(Nodes.Select(n =>
        $"\n--- {n.Name} (exited: {n.Process?.HasExited}) ---\n{string.Join("\n", (n.Process?.Stdout ?? "").Split('\n').TakeLast(lines))}{n.Process?.Stderr}"))
        + Milestones();

    // What decided the cluster's shape, last, where a CI log that keeps only the end of a long failure still shows it:
    // how each node formed or joined, what stopped it, and warnings from remoting.
    private static readonly string[] MilestoneMarks =
    [
        "/user/formation]", "JOINING itself", "Welcome from", "is Up", "Leader is moving", "SBR took decision", "downing",
        "stopping with exit code", "Association", "gated", "Quarantin", "ERROR", "role Primary applied",
    ];

    private string Milestones() => "\n=== milestones ===" + string.Concat(Nodes.Select(n =>
        $"\n--- {n.Name} ---\n" + string.Join("\n", (n.Process?.Stdout ?? "").Split('\n')
            .Where(line => MilestoneMarks.Any(m => line.Contains(m, StringComparison.Ordinal))).Take(40).Select(Shorten))));

    // "2026-12-06T00:27:13.449Z info: Akka.Actor.ActorSystem[0] [INFO][…][Thread 0006][akka.ssl.tcp://appliance@…/user/formation] text"
    // becomes "00:27:13.449 [/user/formation] text".
    private static string Shorten(string line)
    {
        var m = System.Text.RegularExpressions.Regex.Match(line, @"^\S*T(?<time>[0-9:.]+)Z \w+: .*?\[Thread \d+\]\[(?:akka[.\w]*://[^/\]]+)?(?<path>[^\]]*)\] (?<text>.*)$");
        var text = m.Success ? $"{m.Groups["time"].Value} [{m.Groups["path"].Value}] {m.Groups["text"].Value}" : line;
        return text.Length > 220 ? text[..220] + "…" : text;
    }

    /// <summary>
    /// Kills every node with its PostgreSQL (the process tree) at once. A graceful stop would hand the primary over and
    /// leave the cluster node by node, about 8 s per fixture; the tests of that path (Z1, the demo) stop nodes themselves.
    /// </summary>
    public async Task DisposeAsync()
    {
        await Task.WhenAll(Nodes.Where(n => n.Process is not null).Select(n => n.Process!.DisposeAsync().AsTask()));
        foreach (var left in AppProcess.ProcessesMentioning(Dir))
            if (int.TryParse(left.Split(':')[0], out var pid))
                try { System.Diagnostics.Process.GetProcessById(pid).Kill(); } catch (ArgumentException) { }
        Http.Dispose();
        try { ScratchDirectory.Delete(Dir); }
        catch (IOException) { }
    }
}
