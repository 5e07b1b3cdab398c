using Akka.Configuration;

namespace Appliance.Actors.Placement;

/// <summary>
/// The <c>appliance.placement</c> section, read over <c>src/Actors/reference.conf</c> (<see cref="ActorsConfig.Reference"/>),
/// the only source of its defaults.
/// </summary>
/// <param name="AllowColocation">Whether a host may hold more than one instance.</param>
/// <param name="StartInterval">How often each host's starter asks for every instance of the cluster size.</param>
public sealed record PlacementSettings(bool AllowColocation, TimeSpan StartInterval)
{
    /// <summary>The reference configuration's values (<c>appliance.placement</c> of <c>src/Actors/reference.conf</c>).</summary>
    public static PlacementSettings Default { get; } = FromConfig(Config.Empty);

    /// <summary>Reads <c>appliance.placement</c> over the reference configuration; a missing key keeps the reference value.</summary>
    public static PlacementSettings FromConfig(Config config)
    {
        var section = ActorsConfig.Section(config, "appliance.placement");
        return new PlacementSettings(
            section.GetBoolean("allow-colocation"),
            section.GetTimeSpan("start-interval"));
    }
}
