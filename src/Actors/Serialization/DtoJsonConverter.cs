using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace Appliance.Actors.Serialization;

/// <summary>
/// Writes <typeparamref name="T"/> as <typeparamref name="TDto"/>, an explicit record that fixes the stored shape,
/// and reads it back through the same record.
/// </summary>
/// <typeparam name="T">The domain type.</typeparam>
/// <typeparam name="TDto">Its wire shape; must be in <see cref="ApplianceJsonContext"/>.</typeparam>
internal abstract class DtoJsonConverter<T, TDto> : JsonConverter<T>
{
    /// <summary>The wire shape of <paramref name="value"/>.</summary>
    protected abstract TDto ToDto(T value);

    /// <summary>The domain value of <paramref name="dto"/>; throws <see cref="JsonException"/> if it has none.</summary>
    protected abstract T FromDto(TDto dto);

    public override T Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        var dto = JsonSerializer.Deserialize(ref reader, DtoInfo(options))
                  ?? throw new JsonException($"A {typeof(T).Name} cannot be JSON null here.");
        return FromDto(dto);
    }

    public override void Write(Utf8JsonWriter writer, T value, JsonSerializerOptions options) =>
        JsonSerializer.Serialize(writer, ToDto(value), DtoInfo(options));

    private static JsonTypeInfo<TDto> DtoInfo(JsonSerializerOptions options) => (JsonTypeInfo<TDto>)options.GetTypeInfo(typeof(TDto));
}
