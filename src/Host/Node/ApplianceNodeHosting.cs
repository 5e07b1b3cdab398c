using Akka.Actor;
using Akka.Cluster.Hosting;
using Akka.Cluster.Tools.PublishSubscribe;
using Akka.Hosting;
using Akka.Remote.Hosting;
using Appliance.Actors.Coordinator;
using Appliance.Actors.Node;
using Appliance.Actors.Serialization;
using Appliance.Nodes.Postgres;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Appliance.Host.Node;

/// <summary>Registry key of the coordinator singleton's proxy.</summary>
public sealed class CoordinatorKey;

/// <summary>Registry key of this process's <see cref="DatabaseNodeActor"/>.</summary>
public sealed class DatabaseNodeKey;

/// <summary>Registry key of this process's <see cref="StateFeedActor"/>.</summary>
public sealed class StateFeedKey;

/// <summary>
/// Wires one appliance node with Akka.Hosting: remoting and clustering, the HOCON of <c>hocon/</c>, the serializer,
/// the state store, distributed pub-sub, the coordinator singleton and its proxy, and the database node actor.
/// </summary>
public static class ApplianceNodeHosting
{
    /// <summary>The HOCON files the host loads, in order; later files do not override earlier ones.</summary>
    public static readonly string[] HoconFiles = ["cluster.conf", "coordinator.conf"];

    /// <summary>Adds the node's actor system to <paramref name="services"/>.</summary>
    /// <param name="services">The host's services.</param>
    /// <param name="options">The node's options.</param>
    /// <param name="instance">The PostgreSQL instance the node supervises.</param>
    /// <param name="hoconDirectory">Where the <c>hocon/</c> files are (the build copies them next to the binary).</param>
    public static IServiceCollection AddApplianceNode(this IServiceCollection services, NodeOptions options,
        IDatabaseInstance instance, string hoconDirectory)
    {
        var baseConfig = LoadHocon(hoconDirectory);
        services.AddSingleton(options);
        services.AddSingleton(instance);
        services.AddSingleton<ClusterEvents>();
        services.AddAkka(options.SystemName, (builder, provider) =>
        {
            builder.ConfigureLoggers(setup =>
            {
                setup.LogLevel = Akka.Event.LogLevel.InfoLevel;
                setup.ClearLoggers();
                setup.AddLoggerFactory();
            });
            if (options.ExtraHocon is { } extra) builder.AddHocon(extra, HoconAddMode.Prepend);
            // The host decides the order of a planned stop (GracefulShutdown, then Akka.Hosting's coordinated shutdown);
            // the CLR exit hook would otherwise leave the cluster first, before the primary could hand over.
            builder.AddHocon("akka.coordinated-shutdown.run-by-clr-shutdown-hook = off", HoconAddMode.Prepend);
            builder
                .AddHocon(baseConfig, HoconAddMode.Append)
                .AddHocon(ApplianceSerialization.Config, HoconAddMode.Append)
                .AddHocon(StateStoreOptions.Parse(options.StateStore).ToConfig(), HoconAddMode.Append)
                .WithRemoting(options.Host, options.AkkaPort)
                .WithClustering(new ClusterOptions { Roles = ["db"], SeedNodes = [.. options.SeedAddresses] })
                .WithDistributedPubSub(string.Empty)   // every member, so that client-role applications can subscribe too
                .WithSingleton<CoordinatorKey>("coordinator",
                    (system, _, _) => ClusterStateCoordinator.SupervisedProps(
                        CoordinatorSettings.FromConfig(system.Settings.Config) with { Mode = options.Mode, Rejoin = options.Rejoin }),
                    new ClusterSingletonOptions { Role = "db" })
                .WithActors((system, registry) =>
                {
                    var node = system.ActorOf(DatabaseNodeActor.Props(
                        instance,
                        registry.Get<CoordinatorKey>(),
                        DistributedPubSub.Get(system).Mediator,
                        DatabaseNodeOptions.FromConfig(system.Settings.Config),
                        options.Rejoin), "node");
                    registry.Register<DatabaseNodeKey>(node);
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

    /// <summary>The driver settings for the node's PostgreSQL instance.</summary>
    public static NodeSettings DriverSettings(NodeOptions options) =>
        new(options.Peer, options.PgDataDirectory,
            new ClusterCredentials(options.PgPassword, "replicator", options.PgPassword),
            [.. options.SeedNodes.Select(s => s.Split(':')[0]).Append(options.Host).Distinct()])
        {
            BinDirectory = options.BinDir,
            ClientNetworks = options.ClientNetworks,
        };

    private static Akka.Configuration.Config LoadHocon(string directory)
    {
        var config = Akka.Configuration.Config.Empty;
        foreach (var file in HoconFiles)
        {
            var path = Path.Combine(directory, file);
            if (!File.Exists(path))
                throw new FileNotFoundException($"The appliance's configuration {path} is missing; it ships in hocon/ beside the binary.", path);
            config = config.WithFallback(Akka.Configuration.ConfigurationFactory.ParseString(File.ReadAllText(path)));
        }
        return config;
    }
}
