using System.Text.Json;
using Appliance.Host.Api.Json;

namespace Appliance.Host.Cli;

/// <summary>One HTTP answer: status and body.</summary>
/// <param name="Status">HTTP status.</param>
/// <param name="Body">The body text.</param>
public sealed record ApiResponse(int Status, string Body)
{
    /// <summary>The body read as <typeparamref name="T"/>.</summary>
    public T Read<T>() => JsonSerializer.Deserialize<T>(Body, ApiJson.Options)
                          ?? throw new CliException($"The node answered {Status} with an empty body where {typeof(T).Name} was expected.");

    /// <summary>The <c>error</c> of an error body, or the body itself.</summary>
    public string ErrorText()
    {
        try
        {
            using var doc = JsonDocument.Parse(Body);
            if (doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("error", out var e)) return e.GetString() ?? Body;
        }
        catch (JsonException) { }
        return Body;
    }
}
