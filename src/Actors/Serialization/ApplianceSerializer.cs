using System.Runtime.Serialization;
using System.Text.Json;
using Akka.Actor;
using Akka.Serialization;

namespace Appliance.Actors.Serialization;

/// <summary>
/// The appliance's own serializer for every <see cref="Protocol.IApplianceMessage"/>: System.Text.Json bodies
/// (source-generated, see <see cref="ApplianceJsonContext"/>) behind short, versioned string manifests
/// (<see cref="ApplianceManifests"/>). Used for remoting and for the journal and snapshot store, so the identifier
/// and every manifest are stored with the data and must never change meaning.
/// </summary>
public sealed class ApplianceSerializer : SerializerWithStringManifest
{
    /// <summary>The serializer id, stored in every journal and snapshot row. Never change it.</summary>
    public const int SerializerId = 4242;

    /// <summary>Created by Akka from the <c>akka.actor.serializers</c> entry.</summary>
    /// <param name="system">The actor system.</param>
    public ApplianceSerializer(ExtendedActorSystem system) : base(system)
    {
    }

    /// <inheritdoc />
    public override int Identifier => SerializerId;

    /// <inheritdoc />
    /// <exception cref="ArgumentException">The type has no manifest: it was bound here by mistake or never registered.</exception>
    public override string Manifest(object o) => ApplianceManifests.ManifestOf(o.GetType());

    /// <inheritdoc />
    public override byte[] ToBinary(object obj) =>
        JsonSerializer.SerializeToUtf8Bytes(obj, ApplianceJsonContext.Default.GetTypeInfo(obj.GetType())
            ?? throw new ArgumentException($"{obj.GetType()} is not in {nameof(ApplianceJsonContext)}; add a [JsonSerializable] for it.", nameof(obj)));

    /// <inheritdoc />
    /// <exception cref="SerializationException">The manifest is unknown, or the body does not fit it.</exception>
    public override object FromBinary(byte[] bytes, string manifest)
    {
        if (!ApplianceManifests.TryGetType(manifest, out var type))
            throw new SerializationException(
                $"Unknown appliance manifest '{manifest}'. It was written by a newer or foreign version; known manifests: {string.Join(", ", ApplianceManifests.All.Select(m => m.Manifest))}.");
        try
        {
            return JsonSerializer.Deserialize(bytes, ApplianceJsonContext.Default.GetTypeInfo(type)!)
                   ?? throw new SerializationException($"The body of '{manifest}' is JSON null.");
        }
        catch (Exception e) when (e is JsonException or ArgumentException or FormatException or InvalidOperationException)
        {
            // ArgumentException and FormatException come from validating constructors (PeerId, Lsn): the data is
            // well-formed JSON but not a valid value, which is as much a deserialization failure as bad JSON.
            throw new SerializationException($"Cannot read a '{manifest}' ({type.Name}): {e.Message}", e);
        }
    }
}
