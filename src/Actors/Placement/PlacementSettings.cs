using Akka.Configuration;

namespace Appliance.Actors.Placement;

/// <summary>The <c>appliance.placement</c> section of <c>hocon/placement.conf</c>.</summary>
/// <param name="AllowColocation">Whether a host may hold more than one instance.</param>
/// <param name="StartInterval">How often each host's starter asks for every instance of the cluster size.</param>
public sealed record PlacementSettings(bool AllowColocation, TimeSpan StartInterval)
{
    /// <summary>One instance per host; start messages every 2 s.</summary>
    public static readonly PlacementSettings Default = new(false, TimeSpan.FromSeconds(2));

    /// <summary>Reads <c>appliance.placement</c>; missing keys keep <see cref="Default"/>.</summary>
    public static PlacementSettings FromConfig(Config config)
    {
        var section = config.GetConfig("appliance.placement");
        if (section is null || section.IsEmpty) return Default;
        return new PlacementSettings(
            section.GetBoolean("allow-colocation", Default.AllowColocation),
            section.GetTimeSpan("start-interval", Default.StartInterval));
    }
}
