using Akka.Actor;
using Akka.Cluster.Hosting;
using Akka.Cluster.Sharding;
using Akka.Cluster.Tools.PublishSubscribe;
using Akka.Event;
using Akka.Hosting;
using Akka.Remote.Hosting;
using Appliance.Actors;
using Appliance.Actors.Coordinator;
using Appliance.Actors.Formation;
using Appliance.Actors.Instance;
using Appliance.Actors.Node;
using Appliance.Actors.Placement;
using Appliance.Actors.Protocol;
using Appliance.Actors.Serialization;
using Appliance.Host.Tls;
using Appliance.Nodes.Postgres;

namespace Appliance.Host.Node;

/// <summary>
/// Wires one appliance node with Akka.Hosting: remoting and clustering, the reference configurations
/// (<see cref="HostConfig.Reference"/>) under the operator's extra HOCON, the serializer,
/// the state store, distributed pub-sub, the coordinator singleton and its proxy, and the database node actor.
/// </summary>
public static class ApplianceNodeHosting
{
    /// <summary>Adds the node's actor system to <paramref name="services"/>.</summary>
    /// <param name="services">The host's services.</param>
    /// <param name="options">The node's options.</param>
    /// <param name="instance">The PostgreSQL instance the node supervises.</param>
    public static IServiceCollection AddApplianceNode(this IServiceCollection services, NodeOptions options,
        IDatabaseInstance instance)
    {
        services.AddSingleton(instance);
        return services.AddAppliance(options, (system, registry, _) =>
        {
            var node = system.ActorOf(DatabaseNodeActor.Props(
                instance,
                registry.Get<CoordinatorKey>(),
                DistributedPubSub.Get(system).Mediator,
                NodeExtras.Apply(DatabaseNodeSettings.FromConfig(system.Settings.Config), options),
                options.Rejoin), "node");
            registry.Register<DatabaseNodeKey>(node);
            if (DriverSettings(options).Backup is { } backup)
                registry.Register<BackupActorKey>(system.ActorOf(Appliance.Actors.Backup.BackupActor.Props(options.Name,
                    new PgBackRest(backup, options.Host, Credentials(options)),
                    Path.Combine(options.PgDataDirectory, "pg_wal"), DistributedPubSub.Get(system).Mediator, options.Backup!.Schedule), "backup"));
            // Backups from a standby reach the primary through pgBackRest's TLS server: without TLS there is none, and backups run on the primary.
            if (DriverSettings(options).Backup is { } served && options.Backup is { } repository && Credentials(options).Tls is { } tls)
                system.ActorOf(Appliance.Actors.Backup.PgBackRestServerActor.Props(options.Name,
                    new PgBackRest(served, options.Host, Credentials(options)),
                    new PgBackRestServer(options.Host, repository.ServerPort, tls, []),
                    options.PgDataDirectory, options.PgPort, DistributedPubSub.Get(system).Mediator), "pgbackrest-server");
        });
    }

    /// <summary>
    /// Adds a host's actor system in placement mode: instances are sharded entities (one shard per instance, our
    /// <see cref="InstanceAllocationStrategy"/>, remembered entities), and this host runs whichever the strategy puts
    /// here, each created by <paramref name="createInstance"/>.
    /// </summary>
    /// <param name="services">The host's services.</param>
    /// <param name="options">The node's options (<see cref="NodeOptions.IsPlacement"/>).</param>
    /// <param name="createInstance">Creates this host's incarnation of an instance id (see <see cref="InstanceSettings"/>).</param>
    public static IServiceCollection AddApplianceHost(this IServiceCollection services, NodeOptions options,
        Func<string, IDatabaseInstance> createInstance)
    {
        var local = new LocalInstances();
        services.AddSingleton(local);
        return services.AddAppliance(options, (system, registry, _) =>
        {
            var placement = PlacementSettings.FromConfig(system.Settings.Config);
            var coordinator = registry.Get<CoordinatorKey>();
            var mediator = DistributedPubSub.Get(system).Mediator;
            var nodeOptions = NodeExtras.Apply(DatabaseNodeSettings.FromConfig(system.Settings.Config), options);
            var region = ClusterSharding.Get(system).Start(
                ClusterTopology.InstanceShardName,
                id => InstanceEntity.Props(id, createInstance,
                    instance => DatabaseNodeActor.Props(instance, coordinator, mediator, nodeOptions, options.Rejoin), local),
                ClusterShardingSettings.Create(system),
                new InstanceMessageExtractor(),
                new InstanceAllocationStrategy(placement.AllowColocation, Akka.Cluster.Cluster.Get(system).SelfAddress,
                    Akka.Event.Logging.GetLogger(system, typeof(InstanceAllocationStrategy))),
                PoisonPill.Instance);
            registry.Register<InstanceRegionKey>(region);
            registry.Register<InstanceStarterKey>(system.ActorOf(
                InstanceStarter.Props(region, local, coordinator, options.ClusterSize, placement.StartInterval), "instance-starter"));
        });
    }

    private static IServiceCollection AddAppliance(this IServiceCollection services, NodeOptions options,
        Action<ActorSystem, IActorRegistry, IServiceProvider> addNodes)
    {
        TransportLeakDetection.DisableUnlessRequested(Environment.GetEnvironmentVariable(TransportLeakDetection.LevelVariable));
        services.AddSingleton(options);
        services.AddSingleton<ClusterEvents>();
        services.AddAkka(options.SystemName, (builder, provider) =>
        {
            builder.ConfigureLoggers(setup =>
            {
                setup.LogLevel = Akka.Event.LogLevel.InfoLevel;
                setup.ClearLoggers();
                setup.AddLoggerFactory();
            });
            // The operator's extra HOCON (the akka/appliance sections of --config) wins over the reference configurations.
            if (options.ExtraHocon is { } extra) builder.AddHocon(extra, HoconAddMode.Prepend);
            // The host decides the order of a planned stop (GracefulShutdown, then Akka.Hosting's coordinated shutdown);
            // the CLR exit hook would otherwise leave the cluster first, before the primary could hand over.
            builder.AddHocon("akka.coordinated-shutdown.run-by-clr-shutdown-hook = off", HoconAddMode.Prepend);
            if (provider.GetService<NodeCertificate>() is { } certificate) builder.WithMutualTls(certificate);
            builder
                // Every default: the host's Akka tuning and the actors' appliance.* timings (the settings classes fall back
                // on the latter by themselves; it is here so that the system's config shows every value in effect).
                .AddHocon(HostConfig.Reference, HoconAddMode.Append)
                .AddHocon(ApplianceSerialization.Config, HoconAddMode.Append)
                .AddHocon(StateStoreOptions.Parse(options.StateStore).ToConfig(), HoconAddMode.Append)
                .WithRemoting(options.Host, options.AkkaPort)
                // No seed nodes: FormationActor decides who forms the cluster and whom to join (Akka's first seed would form
                // one alone after seed-node-timeout, and a non-first seed retries only that often).
                .WithClustering(new ClusterOptions { Roles = [ClusterTopology.DatabaseRole] })
                .WithDistributedPubSub(string.Empty)   // every member, so that client-role applications can subscribe too
                .WithSingleton<CoordinatorKey>(ClusterTopology.CoordinatorName,
                    (system, _, _) => ClusterStateCoordinator.SupervisedProps(
                        CoordinatorSettings.FromConfig(system.Settings.Config) with
                        {
                            Mode = options.Mode, Rejoin = options.Rejoin, ShardedPlacement = options.IsPlacement, StandbyOf = options.StandbyOf,
                            // The node process registers its registry's set (NodeRunner); without one, a set exported nowhere.
                            Metrics = provider.GetService<CoordinatorMetrics>(),
                        }),
                    new ClusterSingletonOptions { Role = ClusterTopology.DatabaseRole })
                .WithActors((system, registry) =>
                {
                    system.ActorOf(FormationActor.Props([.. options.SeedAddresses.Select(Address.Parse)],
                        FormationSettings.FromConfig(system.Settings.Config)), FormationProtocol.ActorName);
                    addNodes(system, registry, provider);
                    var feed = system.ActorOf(StateFeedActor.Props(
                        provider.GetRequiredService<ClusterEvents>(),
                        registry.Get<CoordinatorKey>(),
                        DistributedPubSub.Get(system).Mediator,
                        provider.GetRequiredService<ILoggerFactory>().CreateLogger("Appliance.Transitions"),
                        options.Name), "state-feed");
                    registry.Register<StateFeedKey>(feed);
                });
        });
        return services;
    }

    /// <summary>
    /// Akka remoting over mutual TLS: every member presents its certificate and accepts a peer only if the peer's
    /// chains to our CA (a custom trust root, never the system's store). No host name check: members are addressed
    /// by IP and every certificate the CA signed is a member's.
    /// </summary>
    private static AkkaConfigurationBuilder WithMutualTls(this AkkaConfigurationBuilder builder, NodeCertificate certificate)
    {
        Akka.Remote.Transport.DotNetty.CertificateValidationCallback ourCaOnly = (peer, chain, remote, _, log) =>
        {
            // The platform's verdict (errors) is against the system's roots, so it is ignored; ours decides alone.
            var problem = peer is null ? "no certificate" : CustomRootTrust.Problem(peer, certificate.Ca, chain);
            if (problem is not null)
                log.Warning("TLS: refused {0}: its certificate is not signed by our CA ({1})", remote, problem);
            return problem is null;
        };
        return builder
            .AddHocon("akka.remote.dot-netty.tcp.enable-ssl = true", HoconAddMode.Prepend)
            .AddSetup(new Akka.Remote.Transport.DotNetty.DotNettySslSetup(certificate.Certificate, suppressValidation: false,
                requireMutualAuthentication: true, validateCertificateHostname: false, ourCaOnly));
    }

    /// <summary>The driver settings for the node's PostgreSQL instance.</summary>
    public static DriverSettings DriverSettings(NodeOptions options) => DriverSettings(options, options.Peer, options.PgDataDirectory);

    private static DriverSettings DriverSettings(NodeOptions options, Appliance.Nodes.State.PeerId peer, string dataDirectory) =>
        new(peer, dataDirectory, Credentials(options),
            [.. options.SeedNodes.Select(s => s.Split(':')[0]).Append(options.Host).Distinct()])
        {
            BinDirectory = options.BinDir,
            ClientNetworks = options.ClientNetworks,
            StandbyNetworks = options.StandbyNetworks,
            StandbyRepoOptions = options.StandbyRepoOptions,
            Backup = BackupSettings(options),
        };

    /// <summary>This node's pgBackRest settings (its config beside its data, in DATA-DIR/pgbackrest), or null without <c>--backup-repo</c>.</summary>
    public static Appliance.Nodes.Backup.BackupSettings? BackupSettings(NodeOptions options) => options.Backup is { } repo
        ? new(repo.Path, options.SystemName, Path.Combine(options.DataDir, "pgbackrest"), repo.Options) { Bootstrap = repo.Bootstrap }
        : null;

    /// <summary>The cluster's credentials as this node uses them, with PostgreSQL's TLS files if TLS is on.</summary>
    public static ClusterCredentials Credentials(NodeOptions options) => ClusterCredentials.FromSecret(options.Secret) with
    {
        Tls = options.Tls is null ? null : PostgresTls.In(PostgresTlsDirectory(options)),
    };

    /// <summary>Where <see cref="PostgresTls.Install"/> puts PostgreSQL's copies of the TLS files (shared by the instances of a host).</summary>
    public static string PostgresTlsDirectory(NodeOptions options) => Path.Combine(options.DataDir, "tls");

    /// <summary>
    /// The driver settings of instance <paramref name="instanceId"/> placed on this host: peer <c>INSTANCE.HOST</c>,
    /// port base + N − 1, data in <c>DATA-ROOT/INSTANCE/pgdata</c>.
    /// </summary>
    /// <exception cref="InvalidOperationException">The node is not in placement mode.</exception>
    public static DriverSettings InstanceSettings(NodeOptions options, string instanceId)
    {
        if (!options.IsPlacement) throw new InvalidOperationException("InstanceSettings is for placement mode (--pg-base-port, --data-root).");
        var peer = new Appliance.Nodes.State.PeerId(Appliance.Nodes.State.InstanceIds.Incarnation(instanceId, options.Name), options.Host,
            Appliance.Nodes.State.InstanceIds.PortOf(instanceId, options.PgBasePort!.Value));
        return DriverSettings(options, peer, InstanceDirectory(options, instanceId));
    }

    /// <summary>PostgreSQL's data directory for <paramref name="instanceId"/> on this host.</summary>
    public static string InstanceDirectory(NodeOptions options, string instanceId) =>
        Path.Combine(options.DataRoot!, instanceId, "pgdata");
}
