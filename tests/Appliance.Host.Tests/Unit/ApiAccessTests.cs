using System.Net;
using Appliance.Host.Api;
using Appliance.Host.Api.Access;
using Appliance.Host.Node;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Appliance.Host.Tests.Unit;

/// <summary>Who may do what over the HTTP API: the rules, the token compare, the token files, and which endpoint has which door.</summary>
[Trait("Category", "Unit")]
public sealed class ApiAccessTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("appliance-access-").FullName;

    private static readonly ApiTokens Both = new("w", "r");
    private static readonly ApiTokens WriteOnly = new("w", null);
    private static readonly IPAddress Remote = IPAddress.Parse("192.0.2.7");

    private static int? Status(ApiAccessLevel needed, ApiAccessLevel granted, ApiTokens tokens, bool sent, IPAddress? from) =>
        ApiAccessRules.Check(needed, granted, tokens, sent, from)?.Status;

    [Fact]
    public void Changes_need_the_write_token_wherever_they_come_from()
    {
        foreach (var from in new[] { IPAddress.Loopback, Remote })
        {
            Assert.Null(Status(ApiAccessLevel.Operate, ApiAccessLevel.Operate, WriteOnly, true, from));
            Assert.Equal(401, Status(ApiAccessLevel.Operate, ApiAccessLevel.None, WriteOnly, false, from));
            Assert.Equal(401, Status(ApiAccessLevel.Operate, ApiAccessLevel.None, WriteOnly, true, from));
            Assert.Equal(403, Status(ApiAccessLevel.Operate, ApiAccessLevel.Read, Both, true, from));
        }
        Assert.Equal("invalid_token", ApiAccessRules.Check(ApiAccessLevel.Operate, ApiAccessLevel.None, WriteOnly, true, Remote)!.BearerError);
        Assert.Null(ApiAccessRules.Check(ApiAccessLevel.Operate, ApiAccessLevel.None, WriteOnly, false, Remote)!.BearerError);
        Assert.Equal("insufficient_scope", ApiAccessRules.Check(ApiAccessLevel.Operate, ApiAccessLevel.Read, Both, true, Remote)!.BearerError);
    }

    [Fact]
    public void Without_a_write_token_changes_come_from_loopback_only()
    {
        foreach (var loopback in new[] { "127.0.0.1", "127.0.0.2", "::1", "::ffff:127.0.0.1" })
            Assert.Null(Status(ApiAccessLevel.Operate, ApiAccessLevel.None, ApiTokens.None, false, IPAddress.Parse(loopback)));
        foreach (var other in new[] { "192.0.2.7", "10.0.0.1", "::ffff:10.0.0.1", "fd00::2", "0.0.0.0" })
            Assert.Equal(403, Status(ApiAccessLevel.Operate, ApiAccessLevel.None, ApiTokens.None, false, IPAddress.Parse(other)));
        Assert.Equal(403, Status(ApiAccessLevel.Operate, ApiAccessLevel.None, ApiTokens.None, false, null));
        var refusal = ApiAccessRules.Check(ApiAccessLevel.Operate, ApiAccessLevel.None, ApiTokens.None, false, Remote)!;
        Assert.Contains("--api-token-file", refusal.Error);
        Assert.Contains("came from 192.0.2.7", refusal.Error);
        // A read token alone does not open changes to other machines.
        Assert.Equal(403, Status(ApiAccessLevel.Operate, ApiAccessLevel.Read, new ApiTokens(null, "r"), true, Remote));
    }

    [Fact]
    public void Guarded_reads_need_a_token_only_when_a_read_token_is_configured()
    {
        Assert.Null(Status(ApiAccessLevel.Read, ApiAccessLevel.None, WriteOnly, false, Remote));
        Assert.Null(Status(ApiAccessLevel.Read, ApiAccessLevel.None, ApiTokens.None, true, Remote));
        Assert.Equal(401, Status(ApiAccessLevel.Read, ApiAccessLevel.None, Both, false, IPAddress.Loopback));
        Assert.Equal(401, Status(ApiAccessLevel.Read, ApiAccessLevel.None, Both, true, Remote));
        Assert.Null(Status(ApiAccessLevel.Read, ApiAccessLevel.Read, Both, true, Remote));
        Assert.Null(Status(ApiAccessLevel.Read, ApiAccessLevel.Operate, Both, true, Remote));
        Assert.Null(Status(ApiAccessLevel.None, ApiAccessLevel.None, Both, false, Remote));
    }

    [Fact]
    public void Tokens_compare_equal_only_when_they_are_the_same_whatever_their_lengths()
    {
        Assert.True(ApiTokens.SameToken("s3cret-token", "s3cret-token"));
        Assert.True(ApiTokens.SameToken("ключ", "ключ"));
        Assert.False(ApiTokens.SameToken("s3cret-token", "s3cret-toke"));
        Assert.False(ApiTokens.SameToken("s3cret-token", "s3cret-token-and-more"));
        Assert.False(ApiTokens.SameToken("s3cret-token", "S3cret-token"));
        Assert.False(ApiTokens.SameToken("", "s3cret-token"));

        Assert.Equal(ApiAccessLevel.Operate, Both.Grant("w"));
        Assert.Equal(ApiAccessLevel.Read, Both.Grant("r"));
        Assert.Equal(ApiAccessLevel.None, Both.Grant("x"));
        Assert.Equal(ApiAccessLevel.None, ApiTokens.None.Grant(""));
        Assert.Equal(ApiAccessLevel.Operate, new ApiTokens("same", "same").Grant("same"));
    }

    [Theory]
    [InlineData("Bearer abc", "abc")]
    [InlineData("bearer abc ", "abc")]
    [InlineData("Basic YWJj", null)]
    [InlineData("Bearer ", null)]
    [InlineData("Bearerabc", null)]
    public void The_bearer_token_is_read_from_the_header(string header, string? token) =>
        Assert.Equal(token, BearerTokenHandler.Token(header));

    private string TokenFile(string text, int mode = 0b110_000_000)
    {
        if (!OperatingSystem.IsLinux()) throw new PlatformNotSupportedException("These tests run on Linux.");
        var path = Path.Combine(_dir, Guid.NewGuid().ToString("N"));
        File.WriteAllText(path, text);
        File.SetUnixFileMode(path, (UnixFileMode)mode);
        return path;
    }

    [Theory]
    [InlineData("tok\n", "tok")]
    [InlineData("tok\r\n", "tok")]
    [InlineData("tok", "tok")]
    public void A_token_file_gives_its_token_without_the_trailing_newline(string text, string token) =>
        Assert.Equal(token, ApiTokenFile.Read(TokenFile(text), "--api-token-file", requirePrivate: true));

    [Fact]
    public void A_token_file_may_be_0600_or_stricter_but_not_open_to_group_or_others()
    {
        Assert.Equal("t", ApiTokenFile.Read(TokenFile("t", 0b100_000_000), "--api-token-file", requirePrivate: true));
        foreach (var (mode, shown) in new[] { (0b110_100_100, "0644"), (0b110_100_000, "0640"), (0b110_000_010, "0602") })
        {
            var path = TokenFile("t", mode);
            var e = Assert.Throws<NodeConfigurationException>(() => ApiTokenFile.Read(path, "--api-token-file", requirePrivate: true));
            Assert.Contains($"--api-token-file {path} has mode {shown}", e.Message);
            Assert.Contains($"chmod 600 {path}", e.Message);
        }
        // The CLI's own copy of the token is the operator's business.
        Assert.Equal("t", ApiTokenFile.Read(TokenFile("t", 0b110_100_100), "--token-file", requirePrivate: false));
    }

    [Theory]
    [InlineData("", "is empty")]
    [InlineData("\n", "is empty")]
    [InlineData("one\ntwo\n", "more than one line")]
    [InlineData("two words", "one word")]
    public void A_token_file_without_one_token_is_refused(string text, string expected)
    {
        var e = Assert.Throws<NodeConfigurationException>(() => ApiTokenFile.Read(TokenFile(text), "--api-token-file", requirePrivate: true));
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void A_missing_token_file_says_how_to_make_one()
    {
        var e = Assert.Throws<NodeConfigurationException>(() => ApiTokenFile.Read("/nonexistent/token", "--api-token-file", requirePrivate: true));
        Assert.Contains("--api-token-file /nonexistent/token does not exist", e.Message);
        Assert.Contains("openssl rand", e.Message);
    }

    [Fact]
    public void Every_change_endpoint_needs_the_operator_the_cluster_views_the_reader_and_load_balancer_checks_nothing()
    {
        var builder = WebApplication.CreateSlimBuilder();
        // The handlers never run here; their services only need to be known, so that each endpoint can be built.
        builder.Services.AddSingleton<ClusterAccess>(_ => throw new NotSupportedException());
        builder.Services.AddSingleton<PeerProber>(_ => throw new NotSupportedException());
        builder.Services.AddSingleton<NodeStatusReader>(_ => throw new NotSupportedException());
        builder.Services.AddSingleton<ClusterEvents>(_ => throw new NotSupportedException());
        builder.Services.AddSingleton<NodeMetrics>(_ => throw new NotSupportedException());
        builder.Services.AddApiAccess(ApiTokens.None);
        var app = builder.Build();
        app.MapNodeApi();
        var endpoints = ((IEndpointRouteBuilder)app).DataSources.SelectMany(d => d.Endpoints).OfType<RouteEndpoint>().ToList();

        string? Policy(RouteEndpoint e) => e.Metadata.GetOrderedMetadata<IAuthorizeData>().Select(a => a.Policy).SingleOrDefault();
        bool Changes(RouteEndpoint e) => ApiAccess.Changes(e.Metadata.GetMetadata<HttpMethodMetadata>());
        string Name(RouteEndpoint e) => e.DisplayName ?? e.RoutePattern.RawText!;

        var changes = endpoints.Where(Changes).ToList();
        Assert.Equal(["/backup", "/config", "/failover", "/freeze", "/maintenance/{id}", "/promote-cluster", "/reap/{id}", "/rebuild/{id}", "/reload", "/restart", "/rotate-password", "/scale", "/switchover", "/unfreeze"],
            changes.Select(e => e.RoutePattern.RawText!.TrimStart('/').Insert(0, "/")).Order(StringComparer.Ordinal));
        Assert.All(changes, e => Assert.True(Policy(e) == ApiAccess.OperatePolicy, Name(e)));

        // The dashboard's files (/ui, /ui/dashboard.js, /ui/dashboard.css) are open: they hold no data, and the page
        // reads the guarded endpoints with the operator's token.
        string[] guarded = ["/state", "/cluster", "/history", "/state/stream", "/metrics", "/config", "/backups"];
        var reads = endpoints.Where(e => !Changes(e)).ToList();
        foreach (var e in reads)
        {
            var get = e.Metadata.GetMetadata<HttpMethodMetadata>()!.HttpMethods.SequenceEqual(["GET"]);
            var expected = get && guarded.Contains("/" + e.RoutePattern.RawText!.TrimStart('/')) ? ApiAccess.ReadPolicy : null;
            Assert.True(expected == Policy(e), $"{Name(e)}: {Policy(e) ?? "open"}, expected {expected ?? "open"}");
        }
        Assert.Contains(reads, e => e.RoutePattern.RawText!.EndsWith("primary", StringComparison.Ordinal) && Policy(e) is null);
        Assert.Contains(reads, e => e.RoutePattern.RawText == "/ui" && Policy(e) is null);
        // GET / is the primary check a load balancer polls, open like /primary.
        Assert.Contains(reads, e => e.RoutePattern.RawText!.TrimStart('/') == "" && e.Metadata.GetMetadata<HttpMethodMetadata>()!.HttpMethods.Contains("GET") && Policy(e) is null);
    }

    [Fact]
    public void Load_reads_both_token_files_of_the_options()
    {
        var options = new NodeOptions
        {
            Name = "n1", AkkaPort = 1, PgPort = 2, DataDir = _dir, StateStore = "sqlite:x", PgPassword = "pw",
            ApiTokenFile = TokenFile("write\n"), ApiReadTokenFile = TokenFile("read\n"),
        };
        var tokens = ApiTokens.Load(options);
        Assert.True(tokens.WriteConfigured && tokens.ReadConfigured);
        Assert.Equal(ApiAccessLevel.Operate, tokens.Grant("write"));
        Assert.Equal(ApiAccessLevel.Read, tokens.Grant("read"));
        Assert.False(ApiTokens.Load(options with { ApiTokenFile = null, ApiReadTokenFile = null }).WriteConfigured);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
