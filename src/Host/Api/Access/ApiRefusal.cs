using Appliance.Host.Api.Json;
using Microsoft.Net.Http.Headers;

namespace Appliance.Host.Api.Access;

/// <summary>A refused request: the HTTP status, the error for the JSON body, and the bearer error for <c>WWW-Authenticate</c>.</summary>
/// <param name="Status">401 (no or wrong token), 403 (the token, or the address, may not do this) or 415.</param>
/// <param name="Error">What was wrong and what to send instead.</param>
/// <param name="BearerError">RFC 6750's error code (<c>invalid_token</c>, <c>insufficient_scope</c>), if any.</param>
public sealed record ApiRefusal(int Status, string Error, string? BearerError = null)
{
    /// <summary>Writes the refusal: status, <c>WWW-Authenticate: Bearer</c> where a token would help, and <c>{"error": …}</c>.</summary>
    public Task WriteAsync(HttpContext http)
    {
        http.Response.StatusCode = Status;
        if (Status == StatusCodes.Status401Unauthorized || BearerError is not null)
            http.Response.Headers[HeaderNames.WWWAuthenticate] =
                "Bearer realm=\"appliance\"" + (BearerError is { } e ? $", error=\"{e}\"" : "");
        return http.Response.WriteAsJsonAsync(new { error = Error }, ApiJson.Options);
    }
}
