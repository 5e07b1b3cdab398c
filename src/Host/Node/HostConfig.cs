using Akka.Configuration;

namespace Appliance.Host.Node;

/// <summary>
/// The reference configuration of the host: <c>src/Host/reference.conf</c> (the Akka tuning of a node), embedded in
/// the assembly, with <see cref="Appliance.Actors.ActorsConfig.Reference"/> (the <c>appliance.*</c> timings) as its
/// fallback. The host layers the operator's extra HOCON over it and Akka's own reference configurations under it.
/// </summary>
public static class HostConfig
{
    /// <summary>The embedded resource's name (set in Appliance.Host.csproj).</summary>
    public const string ResourceName = "Appliance.Host.reference.conf";

    /// <summary>The host's <c>reference.conf</c> alone.</summary>
    public static Config AkkaTuning { get; } = ConfigurationFactory.FromResource(ResourceName, typeof(HostConfig).Assembly);

    /// <summary>Every default a node runs with: the host's Akka tuning and the actors' <c>appliance.*</c> timings.</summary>
    public static Config Reference { get; } = AkkaTuning.WithFallback(Appliance.Actors.ActorsConfig.Reference);
}
