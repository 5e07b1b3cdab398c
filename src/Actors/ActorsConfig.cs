using Akka.Configuration;

namespace Appliance.Actors;

/// <summary>
/// The reference configuration of Appliance.Actors: <c>src/Actors/reference.conf</c>, embedded in the assembly. It is
/// the only source of the defaults of <c>appliance.formation</c>, <c>appliance.node</c>, <c>appliance.coordinator</c>
/// and <c>appliance.placement</c>, as each Akka module's <c>reference.conf</c> is of its settings.
/// </summary>
public static class ActorsConfig
{
    /// <summary>The embedded resource's name (set in Appliance.Actors.csproj).</summary>
    public const string ResourceName = "Appliance.Actors.reference.conf";

    /// <summary>The parsed <c>reference.conf</c>; settings classes read their section with this as the fallback.</summary>
    public static Config Reference { get; } = ConfigurationFactory.FromResource(ResourceName, typeof(ActorsConfig).Assembly);

    /// <summary><paramref name="config"/> over <see cref="Reference"/>, and the section at <paramref name="path"/>.</summary>
    /// <remarks>Every key of the section is then present: the reference holds them all.</remarks>
    internal static Config Section(Config config, string path) =>
        // Akka refuses a config as its own fallback, so the reference itself is read as it is.
        (ReferenceEquals(config, Reference) ? Reference : (config ?? Config.Empty).WithFallback(Reference)).GetConfig(path);
}
