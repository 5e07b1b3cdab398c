using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;

namespace Appliance.Host.Api.Access;

/// <summary>
/// The HTTP API's doors, on ASP.NET Core's own mechanisms: <see cref="BearerTokenHandler"/> authenticates the bearer
/// token, two authorization policies (<see cref="OperatePolicy"/>, <see cref="ReadPolicy"/>) apply
/// <see cref="ApiAccessRules"/>, and <see cref="ApiRefusalWriter"/> answers a refusal with its status and reason.
/// No CORS is configured, on purpose: a page from another origin gets no preflight answer, so it can neither send the
/// token nor a JSON body.
/// </summary>
public static class ApiAccess
{
    /// <summary>The authentication scheme.</summary>
    public const string Scheme = "Bearer";

    /// <summary>The policy of every change: the write token, or loopback when no token is configured.</summary>
    public const string OperatePolicy = "appliance-operate";

    /// <summary>The policy of the cluster-wide reads: the read or write token when a read token is configured.</summary>
    public const string ReadPolicy = "appliance-read";

    /// <summary>The claim that carries the <see cref="ApiAccessLevel"/> a token grants.</summary>
    public const string LevelClaim = "appliance-access";

    /// <summary>Adds the authentication scheme, the policies and the refusal writer for <paramref name="tokens"/>.</summary>
    public static IServiceCollection AddApiAccess(this IServiceCollection services, ApiTokens tokens)
    {
        services.AddSingleton(tokens);
        services.AddAuthentication(Scheme).AddScheme<AuthenticationSchemeOptions, BearerTokenHandler>(Scheme, null);
        services.AddSingleton<IAuthorizationHandler, ApiAccessHandler>();
        services.AddSingleton<IAuthorizationMiddlewareResultHandler, ApiRefusalWriter>();
        services.AddAuthorization(o =>
        {
            o.AddPolicy(OperatePolicy, p => p.AddRequirements(new ApiAccessRequirement(ApiAccessLevel.Operate)));
            o.AddPolicy(ReadPolicy, p => p.AddRequirements(new ApiAccessRequirement(ApiAccessLevel.Read)));
        });
        return services;
    }

    /// <summary>Authentication, then authorization, in the request pipeline (routing has chosen the endpoint by then).</summary>
    public static IApplicationBuilder UseApiAccess(this IApplicationBuilder app) => app.UseAuthentication().UseAuthorization();

    /// <summary>
    /// Every endpoint of <paramref name="builder"/> that accepts a method other than GET, HEAD, OPTIONS or TRACE (or
    /// any method) needs <see cref="OperatePolicy"/> and a JSON body (415 otherwise). Decided by method, so a change
    /// endpoint added later is guarded without anyone remembering to.
    /// </summary>
    public static TBuilder RequireOperatorForChanges<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder
    {
        builder.Add(endpoint =>
        {
            if (!Changes(endpoint.Metadata.OfType<HttpMethodMetadata>().FirstOrDefault())) return;
            endpoint.Metadata.Add(new AuthorizeAttribute(OperatePolicy));
            // Authorization runs before the endpoint, so a request without the token gets 401, never 415.
            endpoint.FilterFactories.Add((_, next) => invocation =>
                invocation.HttpContext.Request.HasJsonContentType() ? next(invocation) : ValueTask.FromResult<object?>(new RefusalResult(ApiAccessRules.NotJson)));
        });
        return builder;
    }

    /// <summary>Whether an endpoint with these methods may change something.</summary>
    public static bool Changes(HttpMethodMetadata? methods) =>
        methods is null || methods.HttpMethods.Any(m => !(HttpMethods.IsGet(m) || HttpMethods.IsHead(m) || HttpMethods.IsOptions(m) || HttpMethods.IsTrace(m)));

    /// <summary>What <paramref name="user"/>'s token grants.</summary>
    public static ApiAccessLevel Granted(ClaimsPrincipal user) =>
        Enum.TryParse<ApiAccessLevel>(user.FindFirstValue(LevelClaim), out var level) ? level : ApiAccessLevel.None;

    /// <summary>Why <paramref name="http"/> may not do what <paramref name="needed"/> names, or null.</summary>
    public static ApiRefusal? Refusal(HttpContext http, ApiTokens tokens, ApiAccessLevel needed) =>
        ApiAccessRules.Check(needed, Granted(http.User), tokens, http.Request.Headers.Authorization.Count > 0, http.Connection.RemoteIpAddress);

    private sealed record ApiAccessRequirement(ApiAccessLevel Level) : IAuthorizationRequirement;

    private sealed class ApiAccessHandler(ApiTokens tokens) : AuthorizationHandler<ApiAccessRequirement>
    {
        protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, ApiAccessRequirement requirement)
        {
            // Endpoint routing passes the HttpContext as the resource; without it nothing is known, so nothing is allowed.
            if (context.Resource is HttpContext http && Refusal(http, tokens, requirement.Level) is null) context.Succeed(requirement);
            return Task.CompletedTask;
        }
    }

    /// <summary>
    /// Answers a failed policy. The framework would challenge (401) every request without a token, but a change from
    /// another machine to a node without a token is 403 (no token could help), and every refusal says what to send.
    /// </summary>
    private sealed class ApiRefusalWriter(ApiTokens tokens, ILogger<ApiRefusalWriter> log) : IAuthorizationMiddlewareResultHandler
    {
        private static readonly ApiRefusal Unexplained = new(StatusCodes.Status403Forbidden, "The request was refused.");

        public Task HandleAsync(RequestDelegate next, HttpContext context, AuthorizationPolicy policy, PolicyAuthorizationResult authorizeResult)
        {
            if (authorizeResult.Succeeded) return next(context);
            var needed = policy.Requirements.OfType<ApiAccessRequirement>().Select(r => r.Level).DefaultIfEmpty(ApiAccessLevel.Operate).Max();
            var refusal = Refusal(context, tokens, needed) ?? Unexplained;
            log.LogInformation("Refused {Method} {Path} from {Remote}: {Status}", context.Request.Method, context.Request.Path,
                context.Connection.RemoteIpAddress, refusal.Status);
            return refusal.WriteAsync(context);
        }
    }

    private sealed class RefusalResult(ApiRefusal refusal) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext) => refusal.WriteAsync(httpContext);
    }
}
