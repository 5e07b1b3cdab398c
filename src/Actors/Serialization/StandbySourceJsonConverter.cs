using System.Text.Json;
using System.Text.Json.Serialization;
using Appliance.Nodes.State;

namespace Appliance.Actors.Serialization;

/// <summary>Writes a <see cref="StandbySource"/> in its <c>HOST:PORT,…</c> form, the one <c>--standby-of</c> takes.</summary>
internal sealed class StandbySourceJsonConverter : JsonConverter<StandbySource>
{
    public override StandbySource Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        try
        {
            return StandbySource.Parse(reader.GetString() ?? "");
        }
        catch (FormatException e)
        {
            throw new JsonException($"Not a standby cluster's source: {e.Message}", e);
        }
    }

    public override void Write(Utf8JsonWriter writer, StandbySource value, JsonSerializerOptions options) => writer.WriteStringValue(value.ToString());
}
