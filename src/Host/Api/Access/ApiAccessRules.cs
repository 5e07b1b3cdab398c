using System.Net;

namespace Appliance.Host.Api.Access;

/// <summary>
/// Who may do what over the HTTP API (pure, so the whole table is unit-tested). Changes need the write token; with no
/// write token configured they are taken from loopback only, because anyone who can reach the port could otherwise
/// switch over, freeze (which silently stops failover), reap or rebuild. The protected reads need the read or the
/// write token when a read token is configured; every other read stays open for load balancers.
/// </summary>
public static class ApiAccessRules
{
    /// <summary>Why a request is refused, or null if it may go ahead.</summary>
    /// <param name="needed">What the endpoint needs.</param>
    /// <param name="granted">What the request's bearer token grants.</param>
    /// <param name="tokens">Which tokens the node has.</param>
    /// <param name="tokenSent">Whether the request carried an <c>Authorization</c> header at all.</param>
    /// <param name="remote">The address the request came from (null if unknown, which counts as not loopback).</param>
    public static ApiRefusal? Check(ApiAccessLevel needed, ApiAccessLevel granted, ApiTokens tokens, bool tokenSent, IPAddress? remote) => needed switch
    {
        ApiAccessLevel.None => null,
        ApiAccessLevel.Read when !tokens.ReadConfigured || granted >= ApiAccessLevel.Read => null,
        ApiAccessLevel.Read => tokenSent
            ? new(StatusCodes.Status401Unauthorized,
                "The bearer token is neither this node's read token (--api-read-token-file) nor its write token (--api-token-file).", "invalid_token")
            : new(StatusCodes.Status401Unauthorized,
                "This endpoint needs a token: send Authorization: Bearer TOKEN with the read token (--api-read-token-file) or the write token (--api-token-file). " + CliHint),
        _ when granted == ApiAccessLevel.Operate => null,
        _ when !tokens.WriteConfigured => IsLoopback(remote) ? null : new(StatusCodes.Status403Forbidden,
            $"This node has no API token, so it accepts changes only from its own machine over loopback (127.0.0.1), and this request came from {remote?.ToString() ?? "an unknown address"}. " +
            "Configure --api-token-file (a file with one random token, mode 0600) on every node, then send that token. " + CliHint),
        _ when granted == ApiAccessLevel.Read => new(StatusCodes.Status403Forbidden,
            "The read token (--api-read-token-file) cannot change the cluster; send the write token (--api-token-file). Nothing was changed.", "insufficient_scope"),
        _ => tokenSent
            ? new(StatusCodes.Status401Unauthorized, "The bearer token is not this node's API token (--api-token-file). Nothing was changed.", "invalid_token")
            : new(StatusCodes.Status401Unauthorized,
                "Changes need the API token: send Authorization: Bearer TOKEN with the token in the nodes' --api-token-file. Nothing was changed. " + CliHint),
    };

    /// <summary>What a change must carry: a JSON body, which a web page cannot send to another origin without a CORS preflight that the API never answers.</summary>
    public static readonly ApiRefusal NotJson = new(StatusCodes.Status415UnsupportedMediaType,
        "Send changes with Content-Type: application/json (the body {} when there is nothing to say). " +
        "The API takes changes only as JSON so that a web page cannot forge them from an operator's browser. Nothing was changed.");

    /// <summary>Whether <paramref name="address"/> is loopback (127.0.0.0/8 or ::1, also as an IPv4-mapped IPv6 address).</summary>
    public static bool IsLoopback(IPAddress? address) =>
        address is not null && IPAddress.IsLoopback(address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address);

    private const string CliHint = "The CLI takes the token from --token-file PATH or APPLIANCE_API_TOKEN.";
}
