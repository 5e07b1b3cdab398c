using System.Text.Json;
using System.Text.Json.Serialization;
using Appliance.Nodes.State;

namespace Appliance.Actors.Serialization;

/// <summary>Writes an <see cref="Lsn"/> in PostgreSQL's own <c>X/Y</c> form, as operators and <c>pg_lsn</c> know it.</summary>
internal sealed class LsnJsonConverter : JsonConverter<Lsn>
{
    public override Lsn Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        Lsn.TryParse(reader.GetString(), out var lsn)
            ? lsn
            : throw new JsonException($"'{reader.GetString()}' is not a WAL position; expected 'X/Y' in hexadecimal, such as '0/3000060'.");

    public override void Write(Utf8JsonWriter writer, Lsn value, JsonSerializerOptions options) => writer.WriteStringValue(value.ToString());
}
