using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Appliance.Host.Api;

namespace Appliance.Host.Cli;

/// <summary>A CLI failure that is not a refusal: the message says what was wrong and what to do.</summary>
public sealed class CliException(string message, int exitCode = 2) : Exception(message)
{
    /// <summary>The process exit code.</summary>
    public int ExitCode { get; } = exitCode;
}

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

/// <summary>The CLI's view of one node's HTTP API.</summary>
public sealed class ApiClient : IDisposable
{
    /// <summary>The endpoint when neither <c>--endpoint</c> nor <c>APPLIANCE_ENDPOINT</c> is given.</summary>
    public const string DefaultEndpoint = "http://127.0.0.1:8008";

    private readonly HttpClient _http;

    /// <summary>Creates a client of <paramref name="endpoint"/> (any node's HTTP URL).</summary>
    public ApiClient(string endpoint, TimeSpan? timeout = null)
    {
        if (!Uri.TryCreate(endpoint, UriKind.Absolute, out var uri) || (uri.Scheme != "http" && uri.Scheme != "https"))
            throw new CliException($"--endpoint '{endpoint}' is not an HTTP URL; give any node's HTTP address, such as {DefaultEndpoint}.");
        Endpoint = uri;
        _http = new HttpClient { BaseAddress = uri, Timeout = timeout ?? TimeSpan.FromSeconds(30) };
    }

    /// <summary>The node's base URL.</summary>
    public Uri Endpoint { get; }

    /// <summary>GET <paramref name="path"/>.</summary>
    public Task<ApiResponse> GetAsync(string path, CancellationToken ct) => SendAsync(new HttpRequestMessage(HttpMethod.Get, path), ct);

    /// <summary>POST <paramref name="body"/> as JSON (or nothing) to <paramref name="path"/>.</summary>
    public Task<ApiResponse> PostAsync(string path, object? body, CancellationToken ct)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path);
        if (body is not null) request.Content = new StringContent(JsonSerializer.Serialize(body, ApiJson.Compact), Encoding.UTF8, "application/json");
        return SendAsync(request, ct);
    }

    /// <summary>Opens <c>/state/stream</c> and yields each event's data line until the stream ends.</summary>
    public async IAsyncEnumerable<string> StreamAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        using var http = new HttpClient { BaseAddress = Endpoint, Timeout = Timeout.InfiniteTimeSpan };
        using var request = new HttpRequestMessage(HttpMethod.Get, "/state/stream");
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        HttpResponseMessage response;
        try { response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct); }
        catch (HttpRequestException e) { throw Unreachable(e); }
        using (response)
        {
            await using var stream = await response.Content.ReadAsStreamAsync(ct);
            using var reader = new StreamReader(stream);
            while (await reader.ReadLineAsync(ct) is { } line)
                if (line.StartsWith("data: ", StringComparison.Ordinal)) yield return line["data: ".Length..];
        }
    }

    private async Task<ApiResponse> SendAsync(HttpRequestMessage request, CancellationToken ct)
    {
        using (request)
        {
            try
            {
                using var response = await _http.SendAsync(request, ct);
                return new ApiResponse((int)response.StatusCode, await response.Content.ReadAsStringAsync(ct));
            }
            catch (HttpRequestException e) { throw Unreachable(e); }
            catch (TaskCanceledException) when (!ct.IsCancellationRequested)
            {
                throw new CliException($"The node at {Endpoint} did not answer within {_http.Timeout.TotalSeconds:0} s. It may be overloaded; try again or ask another node (--endpoint).");
            }
        }
    }

    private CliException Unreachable(HttpRequestException e) =>
        new($"Cannot reach a node at {Endpoint} ({e.HttpRequestError}: {e.Message}). Check --endpoint (or APPLIANCE_ENDPOINT): give any running node's HTTP URL, such as {DefaultEndpoint}.");

    /// <inheritdoc />
    public void Dispose() => _http.Dispose();

    /// <summary>True if the status is a success.</summary>
    public static bool Ok(int status) => status is >= 200 and < 300;
}
