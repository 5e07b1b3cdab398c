using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace Appliance.Host.Api.Access;

/// <summary>
/// Authenticates <c>Authorization: Bearer TOKEN</c> against the node's <see cref="ApiTokens"/>: a matching token
/// becomes a principal whose <see cref="ApiAccess.LevelClaim"/> says what it may do. No header is no result (the
/// open endpoints need none); any other header is a failure.
/// </summary>
public sealed class BearerTokenHandler(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, ApiTokens tokens)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    /// <inheritdoc />
    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization.ToString();
        if (header.Length == 0) return Task.FromResult(AuthenticateResult.NoResult());
        var level = Token(header) is { } token ? tokens.Grant(token) : ApiAccessLevel.None;
        if (level == ApiAccessLevel.None)
            return Task.FromResult(AuthenticateResult.Fail("The Authorization header does not carry this node's API token."));
        var identity = new ClaimsIdentity([new Claim(ApiAccess.LevelClaim, level.ToString())], Scheme.Name);
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), Scheme.Name)));
    }

    /// <summary>The token of a <c>Bearer TOKEN</c> header (the scheme in any case), or null for any other scheme.</summary>
    public static string? Token(string header)
    {
        const string prefix = "Bearer ";
        return header.StartsWith(prefix, StringComparison.OrdinalIgnoreCase) && header[prefix.Length..].Trim() is { Length: > 0 } token ? token : null;
    }
}
