using Akka.Configuration;

namespace Appliance.Actors.Serialization;

/// <summary>Registers <see cref="ApplianceSerializer"/> for every <see cref="Protocol.IApplianceMessage"/>.</summary>
/// <remarks>
/// Use <see cref="Config"/> as a fallback of the system's configuration, or pass <see cref="Hocon"/> to Akka.Hosting's
/// <c>AddHocon(..., HoconAddMode.Prepend)</c>. Every system that persists the coordinator's events needs it beside the
/// state store's configuration (the node host adds both), or the events would be written by Akka's default (Newtonsoft)
/// serializer; the state store's configuration cannot include it, because the coordinator does not depend on this folder.
/// </remarks>
public static class ApplianceSerialization
{
    /// <summary>The name of the serializer in <c>akka.actor.serializers</c>.</summary>
    public const string SerializerName = "appliance";

    /// <summary>The HOCON that binds the marker interface to the serializer.</summary>
    public const string Hocon = """
        akka.actor {
          serializers {
            appliance = "Appliance.Actors.Serialization.ApplianceSerializer, Appliance.Actors"
          }
          serialization-bindings {
            "Appliance.Actors.Protocol.IApplianceMessage, Appliance.Actors" = appliance
          }
        }
        """;

    /// <summary><see cref="Hocon"/>, parsed.</summary>
    public static Config Config { get; } = ConfigurationFactory.ParseString(Hocon);
}
