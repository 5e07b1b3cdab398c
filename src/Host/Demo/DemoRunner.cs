using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using Appliance.Host.Api;
using Appliance.Host.Api.Json;
using Appliance.Host.Cli;
using Appliance.Host.Node;
using Appliance.Host.Tls;
using Appliance.Launch;
using Appliance.Nodes.Postgres;
using Npgsql;

namespace Appliance.Host.Demo;

/// <summary>
/// The <c>demo</c> verb: N node processes on loopback sharing one SQLite state store, one superuser password
/// (passed to each node in <c>APPLIANCE_PG_PASSWORD</c>, kept in DIR/pg-password) and one API token (DIR/api-token,
/// mode 0600, passed as <c>--api-token-file</c>) and one throwaway CA that signs each node's certificate (DIR/tls,
/// keys 0600; every node gets <c>--tls-cert/--tls-key/--tls-ca</c>), so the secure set-up is the one people try
/// first. Shows progress, waits until a
/// write commits on the primary, prints the connection strings and URLs, then the topology on every change until
/// Ctrl-C, when it freezes the cluster (so stopping causes no failover), stops every node and makes sure no node or
/// PostgreSQL process is left.
/// </summary>
public static class DemoRunner
{
    /// <summary>The default data directory, relative to the working directory.</summary>
    public const string DefaultDirectory = "./.appliance/demo";

    private const string StopFreezeReason = "demo stopped";

    /// <summary>The file, in the demo's directory, with the API token every node requires for changes.</summary>
    public const string TokenFileName = "api-token";

    /// <summary>The directory, in the demo's directory, with the CA (<c>ca.crt</c>) and each node's certificate and key.</summary>
    public const string TlsDirectoryName = "tls";

    /// <summary>The TLS files of node <paramref name="name"/> of a demo in <paramref name="dir"/>.</summary>
    public static TlsFiles TlsFilesOf(string dir, string name) => new(
        Path.Combine(dir, TlsDirectoryName, $"{name}.crt"), Path.Combine(dir, TlsDirectoryName, $"{name}.key"), CaFile(dir));

    /// <summary>The demo's CA certificate, which clients verify the nodes against.</summary>
    public static string CaFile(string dir) => Path.Combine(dir, TlsDirectoryName, CertificateAuthority.CaFileName);

    /// <summary>The nodes of a demo in <paramref name="dir"/>.</summary>
    public static IReadOnlyList<DemoNode> Layout(string dir, int nodes, int basePort) =>
        [.. Enumerable.Range(0, nodes).Select(i => new DemoNode($"n{i + 1}", basePort + 10 * i, basePort + 10 * i + 1, basePort + 10 * i + 2,
            Path.Combine(dir, $"n{i + 1}")))];

    /// <summary>Runs the demo until <paramref name="ct"/> is cancelled or Ctrl-C / SIGTERM; returns the exit code.</summary>
    public static async Task<int> RunAsync(DemoOptions options, CancellationToken ct)
    {
        if (options.Nodes is < 2 or > 9)
            return Fail($"--nodes {options.Nodes}: the demo runs 2 to 9 nodes.");
        if (options.BasePort is < 1024 or > 65000)
            return Fail($"--base-port {options.BasePort}: choose a port from 1024 to 65000.");
        string dir;
        try { dir = ResolveDirectory(options.Directory); }
        catch (NodeConfigurationException e) { return Fail(e.Message); }

        var nodes = Layout(dir, options.Nodes, options.BasePort);
        if (options.Fresh && Directory.Exists(dir))
        {
            await KillLeftoversAsync(nodes);
            Directory.Delete(dir, recursive: true);
            Console.WriteLine($"--fresh: removed {dir}");
        }
        var reuse = nodes.Any(n => Directory.Exists(Path.Combine(n.DataDir, "pgdata")));
        await KillLeftoversAsync(nodes);
        foreach (var n in nodes)
            foreach (var port in new[] { n.PgPort, n.HttpPort, n.AkkaPort })
                if (!NodePorts.PortFree(IPAddress.Loopback, port))
                    return Fail($"port {port} (for {n.Name}) is already in use: another demo may be running. Stop it, or give --base-port another value (such as {options.BasePort + 1000}).");

        Directory.CreateDirectory(dir);
        if (OperatingSystem.IsLinux()) File.SetUnixFileMode(dir, (UnixFileMode)0b111_101_101);
        var password = NodeFiles.ReadOrCreatePassword(dir);
        var token = NodeFiles.ReadOrCreateSecret(Path.Combine(dir, TokenFileName));
        // A new CA at every start: its key is never written down, and certificates from an earlier run stop working.
        using (var ca = CertificateAuthority.Create("appliance demo CA"))
            ca.WriteNodeFiles(Path.Combine(dir, TlsDirectoryName), nodes.Select(n => n.Name));
        Console.WriteLine(reuse
            ? $"Reusing the demo data in {dir} (--fresh starts over)."
            : $"Starting a fresh {options.Nodes}-node cluster in {dir}.");

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        ConsoleCancelEventHandler onCancel = (_, e) => { e.Cancel = true; stop.Cancel(); };
        Console.CancelKeyPress += onCancel;
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; stop.Cancel(); });

        var processes = new List<Process>();
        try
        {
            foreach (var n in nodes) processes.Add(Start(n, nodes, dir, password));
            Console.WriteLine($"Started {string.Join(", ", nodes.Zip(processes, (n, p) => $"{n.Name} (pid {p.Id})"))}; logs in {dir}/n*.log");
            await RunUntilStoppedAsync(nodes, processes, dir, password, token, stop.Token);
            return 0;
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            return 0;   // Ctrl-C or SIGTERM while starting
        }
        catch (DemoFailedException e)
        {
            return Fail(e.Message);
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
            await StopAsync(nodes, processes, dir, token);
        }
    }

    private sealed class DemoFailedException(string message) : Exception(message);

    private static int Fail(string message)
    {
        Console.Error.WriteLine($"appliance demo: {message}");
        return 2;
    }

    private static string ResolveDirectory(string? given)
    {
        var dir = Path.GetFullPath(given ?? DefaultDirectory);
        if (NodeFiles.UntraversableParent(Path.Combine(dir, "n1")) is not { } blocked) return dir;
        if (given is not null)
            throw new NodeConfigurationException(
                $"--dir {dir} is not reachable by the postgres user, which runs PostgreSQL when the demo runs as root ({blocked} is closed to others). Use, for example, --dir /tmp/appliance-demo.");
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(dir)))[..8];
        var moved = $"/var/tmp/appliance-demo-{hash}";
        Console.WriteLine($"note: {dir} is not reachable by the postgres user ({blocked} is closed to others, and PostgreSQL runs as postgres under root); keeping the demo data in {moved} instead (--dir chooses another place).");
        return moved;
    }

    private static Process Start(DemoNode n, IReadOnlyList<DemoNode> all, string dir, string password)
    {
        var tls = TlsFilesOf(dir, n.Name);
        try
        {
            var flags = new NodeFlags(n.Name, n.AkkaPort, n.HttpPort, n.PgPort, n.DataDir, [.. all.Select(x => $"127.0.0.1:{x.AkkaPort}")],
                $"sqlite:{Path.Combine(dir, "state.db")}")
            {
                Host = "127.0.0.1",
                ExitWithParent = Environment.ProcessId,
                Extra =
                [
                    "--cluster-size", $"{all.Count}", "--api-token-file", Path.Combine(dir, TokenFileName),
                    "--tls-cert", tls.CertFile, "--tls-key", tls.KeyFile, "--tls-ca", tls.CaFile,
                ],
            };
            return new NodeLaunch(Executable.Self(typeof(DemoRunner).Assembly), flags.Arguments())
            {
                Environment = new Dictionary<string, string?> { ["APPLIANCE_PG_PASSWORD"] = password },
                LogFile = Path.Combine(dir, $"{n.Name}.log"),
                // Ctrl-C must reach only the demo, which stops the nodes in order.
                OwnSession = true,
                Input = LaunchInput.Null,
            }.Start();
        }
        catch (InvalidOperationException e)
        {
            // A node the demo cannot start ends the demo with its message and exit code 2, not with a stack trace.
            throw new DemoFailedException(e.Message);
        }
    }

    private static async Task RunUntilStoppedAsync(IReadOnlyList<DemoNode> nodes, List<Process> processes, string dir, string password, string token,
        CancellationToken ct)
    {
        using var http = Http(dir, token, TimeSpan.FromSeconds(3));
        var supervisor = new NodeSupervisor(nodes, processes, n => Start(n, nodes, dir, password), Console.Out);
        var phases = new Dictionary<string, string>();
        var sw = Stopwatch.StartNew();
        DemoNode? primary = null;
        while (primary is null)
        {
            ct.ThrowIfCancellationRequestedOrStop();
            supervisor.Check();
            foreach (var n in nodes)
            {
                var status = await TryGetAsync<StatusDto>(http, n.Url + "/status", ct);
                var phase = Phase(status);
                if (phases.GetValueOrDefault(n.Name) != phase)
                {
                    phases[n.Name] = phase;
                    Console.WriteLine($"[{sw.Elapsed.TotalSeconds,5:0.0}s] {n.Name}: {phase}");
                }
                if (status is { Role: "primary", ReadWrite: true } && await TakesWritesAsync(n, password, CaFile(dir), ct)) primary = n;
            }
            if (primary is null) await Delay(500, ct);
        }
        if (ct.IsCancellationRequested) return;
        await UnfreezeAfterRestartAsync(http, nodes, ct);

        Console.WriteLine();
        Console.WriteLine($"The cluster takes writes ({sw.Elapsed.TotalSeconds:0.0} s). Primary: {primary.Name}.");
        var verified = $"sslmode=verify-ca&sslrootcert={CaFile(dir)}";
        Console.WriteLine($"  psql \"postgresql://postgres:{password}@127.0.0.1:{primary.PgPort}/postgres?{verified}\"");
        Console.WriteLine($"  any node, follows the primary:  psql \"postgresql://postgres:{password}@{string.Join(",", nodes.Select(n => $"127.0.0.1:{n.PgPort}"))}/postgres?target_session_attrs=read-write&{verified}\"");
        foreach (var n in nodes) Console.WriteLine($"  {n.Name}: {n.Url}/ui  (dashboard; /state, /status, /cluster, /metrics; GET / is the primary check)");
        Console.WriteLine($"  Every plane is TLS with the demo's CA {CaFile(dir)}: curl --cacert {CaFile(dir)} {nodes[0].Url}/status");
        Console.WriteLine($"  CLI: dotnet run --project src/Host -- status --endpoint {nodes[0].Url} --ca {CaFile(dir)}   (or export {ApiClient.CaEnvironmentVariable}={CaFile(dir)})");
        var tokenFile = Path.Combine(dir, TokenFileName);
        Console.WriteLine($"  Changes (freeze, switchover, rebuild, reap) need the API token in {tokenFile}: add --token-file {tokenFile},");
        Console.WriteLine($"    or export {CliToken.EnvironmentVariable}=\"$(cat {tokenFile})\"");
        Console.WriteLine($"  A node process that dies (try kill -9 on the primary's) is started again after {NodeSupervisor.RestartDelay.TotalSeconds:0} s, as systemd would.");
        Console.WriteLine("Topology (updates on every change; Ctrl-C stops everything):");

        string? shown = null;
        while (!ct.IsCancellationRequested)
        {
            supervisor.Check();
            foreach (var n in nodes)
            {
                var view = await TryGetAsync<ClusterViewDto>(http, n.Url + "/cluster", ct);
                if (view?.State is null) continue;
                var text = string.Join("\n", Render.Topology(view).Select(l => "  " + l));
                var key = System.Text.RegularExpressions.Regex.Replace(text, @"WAL [0-9A-F]+/[0-9A-F]+", "") + string.Join(";", Verify.Problems(view));
                if (key != shown)
                {
                    shown = key;
                    Console.WriteLine($"[{DateTime.Now:HH:mm:ss}] generation {view.State.Generation}{(view.State.Freeze is { } f ? $", frozen: {f.Reason}" : "")}");
                    Console.WriteLine(text);
                    foreach (var p in Verify.Problems(view)) Console.WriteLine($"    ! {p}");
                }
                break;
            }
            await Delay(1000, ct);
        }
    }

    private static async Task UnfreezeAfterRestartAsync(HttpClient http, IReadOnlyList<DemoNode> nodes, CancellationToken ct)
    {
        foreach (var n in nodes)
        {
            var state = await TryGetAsync<StateDto>(http, n.Url + "/state", ct);
            if (state is null) continue;
            if (state.Freeze?.Reason == StopFreezeReason)
            {
                try { await http.PostAsync(n.Url + "/unfreeze", JsonBody("{}"), ct); }
                catch (HttpRequestException) { }
            }
            return;
        }
    }

    private static void ThrowIfCancellationRequestedOrStop(this CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
    }

    private static async Task Delay(int ms, CancellationToken ct)
    {
        try { await Task.Delay(ms, ct); }
        catch (OperationCanceledException) { }
    }

    /// <summary>One line for a node's progress.</summary>
    public static string Phase(StatusDto? s)
    {
        if (s is null) return "starting";
        if (s.CloneProgress is { } pct) return $"cloning from its upstream: {pct:0}%";
        if (s.StateVersion is null) return "waiting for the cluster to form";
        if (s.Role != s.AssignedRole)
            return $"becoming {s.AssignedRole}" + (s.AssignedRole == "primary" && s.StateVersion == 1 ? " (initialising the database)" : "") +
                   (s.LastError is { } e ? $" (retrying: {First(e)})" : "");
        return s.Role switch
        {
            "primary" => s.ReadWrite ? "primary, taking writes" : "primary, read-only until its sync has caught up",
            "sync" or "async" => s.Streaming ? $"{s.Role}, streaming" : $"{s.Role}, connecting to its upstream",
            var r => r,
        };
    }

    private static string First(string e) => e.Split('\n')[0] is { Length: > 120 } l ? l[..120] + "…" : e.Split('\n')[0];

    private static async Task<bool> TakesWritesAsync(DemoNode n, string password, string caFile, CancellationToken ct)
    {
        try
        {
            var cs = new NpgsqlConnectionStringBuilder
            {
                Host = "127.0.0.1", Port = n.PgPort, Username = "postgres", Password = password, Database = "postgres",
                Timeout = 3, CommandTimeout = 10, Pooling = false, SslMode = SslMode.VerifyCA, RootCertificate = caFile,
            };
            await using var connection = new NpgsqlConnection(cs.ConnectionString);
            await connection.OpenAsync(ct);
            await using var command = new NpgsqlCommand("SELECT txid_current()", connection);   // assigns an xid: commits only on a writable primary
            await command.ExecuteScalarAsync(ct);
            return true;
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException or IOException) { return false; }
    }

    private static async Task<T?> TryGetAsync<T>(HttpClient http, string url, CancellationToken ct) where T : class
    {
        try
        {
            using var response = await http.GetAsync(url, ct);
            if (!response.IsSuccessStatusCode) return null;
            return System.Text.Json.JsonSerializer.Deserialize<T>(await response.Content.ReadAsStringAsync(ct), ApiJson.Options);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or System.Text.Json.JsonException) { return null; }
    }

    private static async Task StopAsync(IReadOnlyList<DemoNode> nodes, List<Process> processes, string dir, string token)
    {
        if (processes.Count == 0) return;
        Console.WriteLine();
        Console.WriteLine("Stopping: freezing the cluster (so that stopping causes no failover), then every node.");
        using (var http = Http(dir, token, TimeSpan.FromSeconds(5)))
            foreach (var n in nodes)
            {
                try
                {
                    using var response = await http.PostAsync(n.Url + "/freeze", JsonBody($"{{\"reason\":\"{StopFreezeReason}\"}}"));
                    if ((int)response.StatusCode is 200 or 409) break;
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException) { }
            }
        foreach (var p in processes.Where(p => !p.HasExited)) ProcessSignal.Send(p.Id, ProcessSignal.Term);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        foreach (var p in processes)
        {
            var left = deadline - DateTime.UtcNow;
            if (left > TimeSpan.Zero && !p.WaitForExit(left)) { }
            if (!p.HasExited)
            {
                Console.Error.WriteLine($"pid {p.Id} did not stop within 60 s; killing it");
                p.Kill(entireProcessTree: true);
                p.WaitForExit(5000);
            }
        }
        await KillLeftoversAsync(nodes);
        Console.WriteLine("Stopped; no node or PostgreSQL process is left. Run the demo again to reuse the data, or with --fresh to start over.");
    }

    /// <summary>An HTTP client of the demo's nodes that checks them against the demo's CA and sends the API token with every request.</summary>
    private static HttpClient Http(string dir, string token, TimeSpan timeout)
    {
        return new(new SocketsHttpHandler { SslOptions = { RemoteCertificateValidationCallback = CustomRootTrust.ServerCallback(CustomRootTrust.Roots(CaFile(dir))) } })
        {
            Timeout = timeout, DefaultRequestHeaders = { Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token) },
        };
    }

    /// <summary>A JSON request body: the API takes changes only as <c>application/json</c>.</summary>
    private static StringContent JsonBody(string json) => new(json, Encoding.UTF8, "application/json");

    /// <summary>Stops PostgreSQL servers a crashed earlier demo may have left on these data directories.</summary>
    private static async Task KillLeftoversAsync(IReadOnlyList<DemoNode> nodes)
    {
        foreach (var n in nodes)
            if (await LeftoverPostmaster.StopAsync(Path.Combine(n.DataDir, "pgdata"), TimeSpan.FromSeconds(10), CancellationToken.None) is { } pid)
                Console.Error.WriteLine($"Stopped a PostgreSQL left behind on {n.Name} (pid {pid})");
    }

}
