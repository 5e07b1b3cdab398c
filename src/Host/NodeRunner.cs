using Akka.Actor;
using Appliance.Actors.Instance;
using Appliance.Host.Api;
using Appliance.Host.Api.Access;
using Appliance.Host.Node;
using Appliance.Nodes.Postgres;

namespace Appliance.Host;

/// <summary>The <c>node</c> verb: checks everything it can before starting, then runs the node until SIGTERM or Ctrl-C.</summary>
public static class NodeRunner
{
    /// <summary>Runs one node; returns the process exit code.</summary>
    public static async Task<int> RunAsync(NodeOptions options, CancellationToken ct)
    {
        PostgresBinaries binaries;
        ApiTokens tokens;
        NodeCertificate? certificate;
        try
        {
            tokens = ApiTokens.Load(options);
            certificate = options.Tls is { } tls ? NodeCertificate.Load(tls) : null;
            NodeFiles.PrepareDataDirectory(options.DataDir);
            if (options.Tls is { } files)
                PostgresTls.Install(files.CertFile, files.KeyFile, files.CaFile, ApplianceNodeHosting.PostgresTlsDirectory(options));
            // With this node's own ports free no earlier host of it runs, so a live postmaster is an orphan it left.
            if (NodePorts.PortFree(NodePorts.ListenAddress(options.Host), options.AkkaPort) && NodePorts.PortFree(NodePorts.ListenAddress(options.Host), options.HttpPort)
                && await LeftoverPostmaster.StopAsync(options.PgDataDirectory, TimeSpan.FromSeconds(30), ct) is { } orphan)
                Console.Error.WriteLine($"appliance node: stopped PostgreSQL (pid {orphan}) that an earlier run of this node left running.");
            NodePorts.CheckPortsFree(options);
            await BackupOptions.PrepareAsync(options, ct);
            binaries = await PostgresBinaries.LocateAsync(options.BinDir, ct);
            if (binaries.MajorVersion != 15)
                Console.Error.WriteLine($"appliance: warning: PostgreSQL {binaries.MajorVersion} in {binaries.BinDirectory}; the appliance is built and tested for PostgreSQL 15.");
        }
        catch (Exception e) when (e is NodeConfigurationException or PostgresDriverException)
        {
            Console.Error.WriteLine($"appliance node: {e.Message}");
            return 2;
        }

        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory, Args = [] });
        ConfigureLogging(builder.Logging);
        builder.WebHost.ConfigureKestrel(k => k.Listen(NodePorts.ListenAddress(options.Host), options.HttpPort, listen =>
        {
            // Clients check the server against the CA; the API authenticates them by token, not by certificate.
            if (certificate is not null) listen.UseHttps(certificate.Certificate);
        }));
        if (certificate is not null) builder.Services.AddSingleton(certificate);
        builder.Services.Configure<HostOptions>(h => h.ShutdownTimeout = TimeSpan.FromSeconds(90));
        // Under systemd (packaging/appliance.service, Type=notify): READY=1 once started, STOPPING=1 on stop, and log
        // lines with journald's priorities. Elsewhere it does nothing.
        builder.Services.AddSystemd();

        var serverLogs = new System.Collections.Concurrent.ConcurrentBag<RotatingLog>();
        PostgresDatabaseInstance? instance = null;
        try
        {
            if (options.IsPlacement)
            {
                builder.Services.AddApplianceHost(options, id =>
                {
                    // Each instance placed here: DATA-ROOT/pg-N/{pgdata,postgresql.log}.
                    var dir = Path.Combine(options.DataRoot!, id);
                    NodeFiles.PrepareDataDirectory(dir);
                    var log = RotatingLog.ForPostgres(dir);
                    serverLogs.Add(log);
                    return new PostgresDatabaseInstance(new PostgresDriver(ApplianceNodeHosting.InstanceSettings(options, id), binaries, log.Write));
                });
            }
            else
            {
                var serverLog = RotatingLog.ForPostgres(options.DataDir);
                serverLogs.Add(serverLog);
                instance = new PostgresDatabaseInstance(new PostgresDriver(ApplianceNodeHosting.DriverSettings(options), binaries, serverLog.Write));
                builder.Services.AddApplianceNode(options, instance);
            }
        }
        catch (NodeConfigurationException e)
        {
            Console.Error.WriteLine($"appliance node: {e.Message}");
            return 2;
        }
        builder.Services.AddSingleton<ClusterAccess>();
        builder.Services.AddSingleton(sp => new PeerProber(sp.GetRequiredService<ClusterAccess>().Credentials));
        builder.Services.AddSingleton<Appliance.Host.Api.PasswordRotation>();
        builder.Services.AddSingleton<NodeStatusReader>();
        builder.Services.AddSingleton<NodeMetrics>();
        // The coordinator records on the node's registry, so that /metrics shows its histograms; ApplianceNodeHosting
        // takes them from the services because it cannot know NodeMetrics (the API's, which depends on the node).
        builder.Services.AddSingleton(sp => sp.GetRequiredService<NodeMetrics>().Coordinator);
        builder.Services.AddApiAccess(tokens);
        builder.Services.AddHostedService<GracefulShutdown>();   // after AddAkka: stopped before the actor system
        builder.Services.AddHostedService<IslandWatch>();
        builder.Services.AddHostedService<SingletonWatch>();
        builder.Services.AddHostedService<JoinWatch>();
        if (options.ExitWithParent is { } parent)
            builder.Services.AddHostedService(sp => new ParentWatch(parent, sp.GetRequiredService<IHostApplicationLifetime>()));

        await using var app = builder.Build();
        using var runtimeMetrics = app.Services.GetRequiredService<NodeMetrics>().ExportRuntime();
        app.UseUnavailableAs503();
        app.UseApiAccess();
        app.MapNodeApi();
        var log = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Appliance.Node");
        if (certificate is null)
            log.LogWarning("No --tls-cert, --tls-key, --tls-ca: the HTTP API (with its token), the Akka cluster's messages and PostgreSQL's connections and replication travel in clear text, and any host that reaches the Akka port can join the cluster. Give every node a certificate signed by one CA (docs/SECURITY.md §2).");
        else
            log.LogInformation("TLS on: HTTPS, mutual TLS between members and TLS to PostgreSQL with {Subject}, trusting only {Ca}",
                certificate.Certificate.Subject, string.Join(", ", certificate.Ca.Select(c => c.Subject)));
        if (!tokens.WriteConfigured)
            log.LogWarning("No --api-token-file: this node takes changes over HTTP (freeze, switchover, rebuild, reap, scale) from loopback only, without any token, so every local user and process may make them. Give every node --api-token-file (a file with one random token, mode 0600) and the CLI --token-file or APPLIANCE_API_TOKEN.");
        log.LogInformation("Node {Name} starting: PostgreSQL {Major} from {BinDir} on {Host}:{PgPort}, HTTP on {Scheme}://{Host}:{HttpPort}, Akka on {Host}:{AkkaPort}, data in {DataDir}, seeds {Seeds}, {StateStore}, host pid {Pid}",
            options.Name, binaries.MajorVersion, binaries.BinDirectory, options.Host, options.PgPort, options.HttpScheme, options.Host, options.HttpPort,
            options.Host, options.AkkaPort, options.DataDir, string.Join(",", options.SeedNodes),
            Actors.Coordinator.StateStoreOptions.Parse(options.StateStore), Environment.ProcessId);
        // RunAsync disposes the services, so the actor system is captured while they are alive.
        ActorSystem? system = null;
        app.Lifetime.ApplicationStarted.Register(() => system = app.Services.GetRequiredService<ActorSystem>());
        try
        {
            await app.RunAsync(ct);
        }
        catch (IOException e) when (e.Message.Contains("address already in use", StringComparison.OrdinalIgnoreCase))
        {
            Console.Error.WriteLine($"appliance node: HTTP port {options.HttpPort} on {options.Host} is already in use. Stop whatever holds it (ss -ltnp sport = :{options.HttpPort}) or give another --http-port.");
            if (instance is not null) await instance.DisposeAsync();
            return 2;
        }
        finally
        {
            foreach (var serverLog in serverLogs) serverLog.Dispose();
        }
        if (system is not null && CoordinatedShutdown.Get(system).ShutdownReason is CoordinatedShutdown.ClusterDowningReason)
        {
            // An Akka member that was downed can never rejoin under the same incarnation; only a new process can.
            log.LogWarning("Node {Name} was removed from the cluster (downed, e.g. by the split-brain resolver while unreachable); exiting with {Code} so that its service manager starts it again", options.Name, NodeExitCode.Downed);
            return NodeExitCode.Downed;
        }
        log.LogInformation("Node {Name} stopped", options.Name);
        return SelfRestartWatch.Tripped ? SelfRestartWatch.ExitCode : 0;
    }

    /// <summary>Console logging: one line per entry; <c>APPLIANCE_LOG_FORMAT=json</c> writes JSON lines instead.</summary>
    public static void ConfigureLogging(ILoggingBuilder logging)
    {
        logging.ClearProviders();
        if (string.Equals(Environment.GetEnvironmentVariable("APPLIANCE_LOG_FORMAT"), "json", StringComparison.OrdinalIgnoreCase))
            logging.AddJsonConsole(o => { o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ "; o.UseUtcTimestamp = true; });
        else
            logging.AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ "; o.UseUtcTimestamp = true; });
        logging.SetMinimumLevel(LogLevel.Information);
        logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        logging.AddFilter("Microsoft.Hosting", LogLevel.Warning);
    }
}
