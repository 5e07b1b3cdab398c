using System.Reflection;

namespace Appliance.Host.Api.Ui;

/// <summary>
/// The dashboard at <c>GET /ui</c>: a page, a script and a style sheet embedded in this assembly, served as they are.
/// They hold no cluster data, so they are open like <c>/status</c>: the script reads <c>/state/stream</c>,
/// <c>/cluster</c>, <c>/history</c> and <c>/status</c> with the token the operator types in, and those keep their doors.
/// A browser cannot send a bearer token when it navigates, so a page behind the read token could never be opened.
/// </summary>
public static class Dashboard
{
    /// <summary>Where the page lives.</summary>
    public const string Path = "/ui";

    // Everything the page loads comes from this node: no inline script, no other origin, no framing.
    private const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    /// <summary>The files served under <see cref="Path"/>: the URL, the embedded resource and its media type.</summary>
    public static readonly IReadOnlyList<DashboardAsset> Assets =
    [
        new(Path, "dashboard.html", "text/html; charset=utf-8"),
        new(Path + "/dashboard.js", "dashboard.js", "text/javascript; charset=utf-8"),
        new(Path + "/dashboard.css", "dashboard.css", "text/css; charset=utf-8"),
    ];

    /// <summary>The text of <paramref name="asset"/>, read from this assembly (an <see cref="InvalidOperationException"/> if the build left it out).</summary>
    public static string Read(DashboardAsset asset)
    {
        var name = ResourcePrefix + asset.Resource;
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"The dashboard's {asset.Resource} is not embedded in the host as {name}; the build is broken.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    /// <summary>The embedded resources' common prefix (their <c>LogicalName</c> in the project file).</summary>
    public const string ResourcePrefix = "Appliance.Host.Ui.";

    /// <summary>Maps every asset on <paramref name="routes"/> (read once, at mapping).</summary>
    public static void Map(IEndpointRouteBuilder routes)
    {
        foreach (var asset in Assets)
        {
            var text = Read(asset);
            routes.MapGet(asset.Url, (HttpContext http) =>
            {
                var headers = http.Response.Headers;
                headers.CacheControl = "no-cache";
                headers.ContentSecurityPolicy = ContentSecurityPolicy;
                headers.XContentTypeOptions = "nosniff";
                headers["Referrer-Policy"] = "no-referrer";
                return Results.Text(text, asset.ContentType);
            });
        }
    }
}
