using System.Net.Http.Headers;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using Appliance.Host.Api.Json;
using Appliance.Host.Tls;

namespace Appliance.Host.Cli;

/// <summary>The CLI's view of one node's HTTP API.</summary>
public sealed class ApiClient : IDisposable
{
    /// <summary>The endpoint when neither <c>--endpoint</c> nor <c>APPLIANCE_ENDPOINT</c> is given.</summary>
    public const string DefaultEndpoint = "http://127.0.0.1:8008";

    /// <summary>The variable that names the CA file when no <c>--ca</c> is given.</summary>
    public const string CaEnvironmentVariable = "APPLIANCE_CA";

    private readonly HttpClient _http;
    private readonly CliToken? _token;
    private readonly (string File, X509Certificate2Collection Roots)? _ca;
    private string? _refusedCertificate;

    /// <summary>Creates a client of <paramref name="endpoint"/> (any node's HTTP URL) that sends <paramref name="token"/>, if any, with every request.</summary>
    /// <param name="endpoint">Any node's URL.</param>
    /// <param name="token">The API token, if any.</param>
    /// <param name="timeout">How long one request may take.</param>
    /// <param name="caFile">
    /// The cluster's CA (PEM): an https node must present a certificate it signed, for the endpoint's host. Null
    /// trusts the system's store, as any HTTPS client does.
    /// </param>
    public ApiClient(string endpoint, CliToken? token = null, TimeSpan? timeout = null, string? caFile = null)
    {
        if (!Uri.TryCreate(endpoint, UriKind.Absolute, out var uri) || (uri.Scheme != "http" && uri.Scheme != "https"))
            throw new CliException($"--endpoint '{endpoint}' is not an HTTP URL; give any node's HTTP address, such as {DefaultEndpoint}.");
        Endpoint = uri;
        _token = token;
        _ca = caFile is { Length: > 0 } ? (caFile, LoadCa(caFile)) : null;
        _http = CreateHttp(timeout ?? TimeSpan.FromSeconds(30));
    }

    private static X509Certificate2Collection LoadCa(string file)
    {
        try { return CustomRootTrust.Roots(file); }
        catch (Exception e) when (e is CryptographicException or IOException or UnauthorizedAccessException)
        {
            throw new CliException($"--ca {file} cannot be read as PEM certificates ({e.Message}). Give the CA file the nodes have as --tls-ca.");
        }
    }

    /// <summary>The node's base URL.</summary>
    public Uri Endpoint { get; }

    /// <summary>GET <paramref name="path"/>.</summary>
    public Task<ApiResponse> GetAsync(string path, CancellationToken ct) => SendAsync(new HttpRequestMessage(HttpMethod.Get, path), ct);

    /// <summary>POST <paramref name="body"/> as JSON (<c>{}</c> for none: the API takes changes only as JSON) to <paramref name="path"/>.</summary>
    public Task<ApiResponse> PostAsync(string path, object? body, CancellationToken ct) =>
        SendAsync(new HttpRequestMessage(HttpMethod.Post, path)
        {
            Content = new StringContent(JsonSerializer.Serialize(body ?? new { }, ApiJson.Compact), Encoding.UTF8, "application/json"),
        }, ct);

    /// <summary>PATCH <paramref name="body"/> as JSON to <paramref name="path"/>.</summary>
    public Task<ApiResponse> PatchAsync(string path, object body, CancellationToken ct) =>
        SendAsync(new HttpRequestMessage(HttpMethod.Patch, path)
        {
            Content = new StringContent(JsonSerializer.Serialize(body, ApiJson.Compact), Encoding.UTF8, "application/json"),
        }, ct);

    /// <summary>
    /// POSTs <paramref name="body"/> and hands each line of a 200 answer to <paramref name="onLine"/> as it arrives (a
    /// long operation's progress); any other answer comes back whole.
    /// </summary>
    public async Task<ApiResponse> PostLinesAsync(string path, object? body, Action<string> onLine, CancellationToken ct)
    {
        using var http = CreateHttp(Timeout.InfiniteTimeSpan);
        using var request = new HttpRequestMessage(HttpMethod.Post, path)
        {
            Content = new StringContent(JsonSerializer.Serialize(body ?? new { }, ApiJson.Compact), Encoding.UTF8, "application/json"),
        };
        HttpResponseMessage response;
        try { response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct); }
        catch (HttpRequestException e) { throw Unreachable(e); }
        using (response)
        {
            if (response.StatusCode != System.Net.HttpStatusCode.OK)
            {
                var answer = new ApiResponse((int)response.StatusCode, await response.Content.ReadAsStringAsync(ct));
                return answer.Status is 401 or 403 or 415 ? throw Refused(answer) : answer;
            }
            await using var stream = await response.Content.ReadAsStreamAsync(ct);
            using var reader = new StreamReader(stream);
            while (await reader.ReadLineAsync(ct) is { } line)
                if (line.Length > 0) onLine(line);
            return new ApiResponse(200, "");
        }
    }

    /// <summary>Opens <c>/state/stream</c> and yields each event's data line until the stream ends.</summary>
    public async IAsyncEnumerable<string> StreamAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        using var http = CreateHttp(Timeout.InfiniteTimeSpan);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/state/stream");
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        HttpResponseMessage response;
        try { response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct); }
        catch (HttpRequestException e) { throw Unreachable(e); }
        using (response)
        {
            if (!response.IsSuccessStatusCode)
                throw Refused(new ApiResponse((int)response.StatusCode, await response.Content.ReadAsStringAsync(ct)));
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
                var answer = new ApiResponse((int)response.StatusCode, await response.Content.ReadAsStringAsync(ct));
                return answer.Status is 401 or 403 or 415 ? throw Refused(answer) : answer;
            }
            catch (HttpRequestException e) { throw Unreachable(e); }
            catch (TaskCanceledException) when (!ct.IsCancellationRequested)
            {
                throw new CliException($"The node at {Endpoint} did not answer within {_http.Timeout.TotalSeconds:0} s. It may be overloaded; try again or ask another node (--endpoint).");
            }
        }
    }

    private HttpClient CreateHttp(TimeSpan timeout)
    {
        var handler = new SocketsHttpHandler();
        if (_ca is { } ca)
            handler.SslOptions.RemoteCertificateValidationCallback = CustomRootTrust.ServerCallback(ca.Roots,
                problem => _refusedCertificate = $"{problem} (checked against --ca {ca.File})");
        var http = new HttpClient(handler) { BaseAddress = Endpoint, Timeout = timeout };
        if (_token is not null) http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", _token.Value);
        return http;
    }

    /// <summary>A refusal at the API's door (401, 403, 415), or any other failed answer, as what to pass instead.</summary>
    private CliException Refused(ApiResponse response) => new($"The node at {Endpoint} answered {response.Status}: {response.ErrorText()} " + Hint(response.Status),
        retryable: response.Status is not (401 or 403 or 415));

    private string Hint(int status) => (status, _token) switch
    {
        (401, null) => $"Pass the API token (the one in the nodes' --api-token-file): --token-file PATH, or set {CliToken.EnvironmentVariable}.",
        (401, { } t) => $"The token from {t.Source} is not the node's; pass the one in the nodes' --api-token-file (reads also take --api-read-token-file's).",
        (403, null) => $"If the nodes have an --api-token-file, pass its token: --token-file PATH, or set {CliToken.EnvironmentVariable}.",
        (403, { } t) => $"The token came from {t.Source}.",
        (415, _) => "This CLI sends JSON; check that --endpoint is an appliance node of the same version.",
        _ => "",
    };

    private CliException Unreachable(HttpRequestException e) => e.InnerException is AuthenticationException
        ? new($"Refused the node at {Endpoint}: {_refusedCertificate ?? e.InnerException.Message}. " +
              $"Pass the CA that signed the nodes' --tls-cert: --ca FILE, or set {CaEnvironmentVariable}; and use the address its certificate names.",
            retryable: false)
        : new($"Cannot reach a node at {Endpoint} ({e.HttpRequestError}: {e.Message}). Check --endpoint (or APPLIANCE_ENDPOINT): give any running node's HTTP URL, such as {DefaultEndpoint}.");

    /// <inheritdoc />
    public void Dispose() => _http.Dispose();

    /// <summary>True if the status is a success.</summary>
    public static bool Ok(int status) => status is >= 200 and < 300;
}
