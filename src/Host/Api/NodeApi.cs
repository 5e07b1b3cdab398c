using System.Globalization;
using System.Text;
using System.Text.Json;
using Appliance.Actors.Protocol;
using Appliance.Host.Api.Access;
using Appliance.Host.Api.Json;
using Appliance.Host.Api.Ui;
using Appliance.Host.Node;
using Appliance.Nodes.State;

namespace Appliance.Host.Api;

/// <summary>The HTTP API of DESIGN §7 on every node, as ASP.NET Core minimal APIs.</summary>
public static class NodeApi
{
    /// <summary>The HTTP status an operator command gets when refused: 409 for a conflict with the cluster's state, 412 for a failed precondition of the request itself.</summary>
    public static int RefusalStatus(RefusalReason reason) => reason switch
    {
        RefusalReason.StaleGeneration or RefusalReason.UnknownPeer or RefusalReason.NotDeposed or RefusalReason.InvalidRequest
            or RefusalReason.DataLossNotAccepted => StatusCodes.Status412PreconditionFailed,
        _ => StatusCodes.Status409Conflict,
    };

    /// <summary>Maps every endpoint, each behind the door it needs (<see cref="ApiAccess"/>).</summary>
    public static IEndpointRouteBuilder MapNodeApi(this IEndpointRouteBuilder app)
    {
        // Access is decided for groups, not endpoint by endpoint: every change needs the operator (by method, so a new
        // change endpoint is covered too); the cluster-wide views may need the read token; the node's own status and
        // the role checks stay open, since load balancers poll them.
        var api = app.MapGroup("").RequireOperatorForChanges();
        var restricted = api.MapGroup("").RequireAuthorization(ApiAccess.ReadPolicy);

        restricted.MapGet("/state", async (ClusterAccess access, CancellationToken ct) =>
        {
            var snapshot = await access.SnapshotAsync(ct);
            return snapshot.State is { } s
                ? Json(StateDto.From(s))
                : Error(503, "This node holds no cluster state yet: the cluster is still being set up (it needs at least 2 members), or the coordinator has not reached this node. Try again shortly.");
        });

        api.MapGet("/status", async (NodeStatusReader reader, CancellationToken ct) => Json(await reader.ReadAsync(ct)));

        foreach (var (path, check) in RoleChecks.Paths)
            api.MapMethods("/" + path, ["GET", "HEAD", "OPTIONS"], (HttpContext http, NodeStatusReader reader, CancellationToken ct) =>
                RoleCheckAsync(http, reader, check, ct));

        restricted.MapGet("/cluster", async (ClusterAccess access, PeerProber prober, CancellationToken ct) =>
            Json(await ClusterViewAsync(access, prober, ct)));

        restricted.MapGet("/history", async (HttpContext http, ClusterAccess access, ClusterEvents events, CancellationToken ct) =>
        {
            if (!HistoryQuery.TryParse(http.Request.Query["since"], http.Request.Query["limit"], out var query, out var error))
                return Error(400, error);
            var history = await access.HistoryAsync(TimeSpan.FromSeconds(10), ct);
            var outages = events.Book.Outages;
            return Json(query.Page(history).Select(e => HistoryEntryDto.From(e, outages)).ToList());
        });

        restricted.MapGet("/state/stream", StreamAsync);

        // prometheus-net renders the registry; the appliance_* values are set from what the node holds at this scrape.
        restricted.MapGet("/metrics", async (NodeMetrics metrics, NodeStatusReader reader, ClusterEvents events, CancellationToken ct) =>
        {
            metrics.Update(await reader.ReadAsync(ct), events.Latest, events.History);
            return Results.Text(await metrics.TextAsync(ct), NodeMetrics.ContentType);
        });

        // GET / is Patroni's primary check too (HAProxy's 'option httpchk GET /'); the human page is /ui, open because
        // it holds no data: its script asks the guarded endpoints with the token the operator gives it.
        Dashboard.Map(api);
        api.MapMethods("/", ["GET", "HEAD", "OPTIONS"], (HttpContext http, NodeStatusReader reader, CancellationToken ct) =>
            RoleCheckAsync(http, reader, "primary", ct));

        api.MapPost("/freeze", async (HttpContext http, ClusterAccess access, CancellationToken ct) =>
        {
            var body = await BodyAsync<FreezeRequest>(http, ct);
            if (body.Error is { } e) return e;
            return await SubmitAsync(access, new OperatorCommand.Freeze(body.Value?.Reason ?? "")
                { ExpectedGeneration = Generation(http, body.Value?.Generation) }, ct);
        });
        api.MapPost("/unfreeze", (HttpContext http, ClusterAccess access, CancellationToken ct) =>
            SubmitAsync(access, new OperatorCommand.Unfreeze { ExpectedGeneration = Generation(http, null) }, ct));
        api.MapPost("/switchover", async (HttpContext http, ClusterAccess access, CancellationToken ct) =>
        {
            var body = await BodyAsync<SwitchoverRequest>(http, ct);
            if (body.Error is { } e) return e;
            var to = string.IsNullOrWhiteSpace(body.Value?.To) ? null : body.Value!.To!.Trim();
            OperatorCommand command = body.Value switch
            {
                { Cancel: true } => new OperatorCommand.CancelSwitchover(),
                { At: { } at } => new OperatorCommand.ScheduleSwitchover(at, to),
                _ => new OperatorCommand.Switchover(to),
            };
            return await SubmitAsync(access, command with { ExpectedGeneration = Generation(http, body.Value?.Generation) }, ct);
        });
        api.MapPost("/rebuild/{id}", (string id, HttpContext http, ClusterAccess access, CancellationToken ct) =>
            SubmitAsync(access, new OperatorCommand.Rebuild(id) { ExpectedGeneration = Generation(http, null) }, ct));
        api.MapPost("/reap/{id}", (string id, HttpContext http, ClusterAccess access, CancellationToken ct) =>
            SubmitAsync(access, new OperatorCommand.Reap(id) { ExpectedGeneration = Generation(http, null) }, ct));
        api.MapPost("/scale", async (HttpContext http, ClusterAccess access, CancellationToken ct) =>
        {
            var body = await BodyAsync<ScaleRequest>(http, ct);
            if (body.Error is { } e) return e;
            if (body.Value?.Instances is not { } instances)
                return Json(new CommandResultDto(false, nameof(RefusalReason.InvalidRequest), "Give the new number of instances: {\"instances\": 5}.", null),
                    StatusCodes.Status412PreconditionFailed);
            return await SubmitAsync(access, new OperatorCommand.Scale(instances, body.Value.Force ?? false)
                { ExpectedGeneration = Generation(http, body.Value.Generation) }, ct);
        });
        api.MapPost("/rotate-password", async (HttpContext http, PasswordRotation rotation, CancellationToken ct) =>
        {
            var body = await BodyAsync<RotatePasswordRequest>(http, ct);
            if (body.Error is { } e) return e;
            var (status, result) = await rotation.RotateAsync(body.Value?.Role?.Trim().ToLowerInvariant(), ct);
            return Json(result, status);
        });
        api.MapOperationsApi();
        api.MapBackupApi(restricted);
        SettingsApi.Map(api, restricted);
        return app;
    }

    /// <summary>Turns <see cref="ClusterUnavailableException"/> into 503 with the reason.</summary>
    public static IApplicationBuilder UseUnavailableAs503(this IApplicationBuilder app) => app.Use(async (http, next) =>
    {
        try { await next(http); }
        catch (ClusterUnavailableException e) when (!http.Response.HasStarted)
        {
            http.Response.StatusCode = 503;
            await http.Response.WriteAsJsonAsync(new { error = e.Message }, ApiJson.Options);
        }
    });

    private static async Task<IResult> RoleCheckAsync(HttpContext http, NodeStatusReader reader, string check, CancellationToken ct)
    {
        var q = http.Request.Query;
        ulong? maxLag = null;
        if (q.TryGetValue("lag", out var lagText))
        {
            if (!ByteSize.TryParse(lagText, out var lag))
                return Error(400, $"lag '{lagText}' is not a size: give bytes (1048576) or a number with kB, MB, GB or TB (16MB).");
            maxLag = lag;
        }
        var replicationState = q.TryGetValue("replication_state", out var rs) ? rs.ToString() : null;
        var status = await reader.ReadAsync(ct);
        var code = RoleChecks.Passes(check, status, maxLag, replicationState) ? 200 : 503;
        return HttpMethods.IsGet(http.Request.Method) ? Json(status, code) : Results.StatusCode(code);
    }

    private static async Task<ClusterViewDto> ClusterViewAsync(ClusterAccess access, PeerProber prober, CancellationToken ct)
    {
        var snapshotTask = access.SnapshotAsync(ct);
        var coordinatorTask = access.CoordinatorStateAsync(TimeSpan.FromSeconds(2), ct);
        var snapshot = await snapshotTask;
        var current = await coordinatorTask;
        var state = current?.State is { } cs && (snapshot.State is null || cs.Version >= snapshot.State.Version) ? cs : snapshot.State;
        // No coordinator and nothing seen since this process started (a survivor alone after losing primary and sync):
        // the last state written still says which peers the cluster waits for.
        var fromStore = state is null && current is null && (state = await access.PersistedStateAsync(TimeSpan.FromSeconds(3), ct)) is not null;
        var peers = state is null ? [] : await prober.ProbeAsync(state, ct);
        var refusal = current?.LastRefusal is { } r ? new RefusalDto(r.Reason.ToString(), r.Detail) : null;
        return new ClusterViewDto(state is null ? null : StateDto.From(state), peers, refusal, current is not null, access.Options.Name,
            access.Options.IsPlacement ? state?.Instances ?? access.Options.ClusterSize : null, fromStore, snapshot.StateRefused,
            current?.PeerTags is { Count: > 0 } tags ? tags : null, current?.CoordinatorPeers,
            BackupStateDto.From(await access.BackupReportAsync(ct), DateTimeOffset.UtcNow));
    }

    private static async Task StreamAsync(HttpContext http, ClusterEvents events, CancellationToken ct)
    {
        http.Response.Headers.ContentType = "text/event-stream";
        http.Response.Headers.CacheControl = "no-cache";
        http.Response.Headers["X-Accel-Buffering"] = "no";
        using var subscription = events.Subscribe();
        await http.Response.WriteAsync(": appliance state stream\n\n", ct);
        await http.Response.Body.FlushAsync(ct);
        while (!ct.IsCancellationRequested)
        {
            using var heartbeat = CancellationTokenSource.CreateLinkedTokenSource(ct);
            heartbeat.CancelAfter(TimeSpan.FromSeconds(15));
            string text;
            try
            {
                var state = await subscription.Reader.ReadAsync(heartbeat.Token);
                text = $"event: state\nid: {state.Version}\ndata: {JsonSerializer.Serialize(StateDto.From(state), ApiJson.Compact)}\n\n";
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                text = ": keep-alive\n\n";
            }
            catch (OperationCanceledException) { return; }
            await http.Response.WriteAsync(text, ct);
            await http.Response.Body.FlushAsync(ct);
        }
    }

    internal static async Task<IResult> SubmitAsync(ClusterAccess access, OperatorCommand command, CancellationToken ct) =>
        await access.SubmitAsync(command, ct) switch
        {
            OperatorProtocol.Accepted a => Json(new CommandResultDto(true, a.Recorded.Reason.ToString(), a.Recorded.Detail, StateDto.From(a.Recorded.State))),
            OperatorProtocol.Refused r => Json(new CommandResultDto(false, r.Reason.ToString(), r.Detail, null), RefusalStatus(r.Reason)),
            var other => Error(500, $"The coordinator answered {other.GetType().Name}, which this node does not understand; the command may or may not be applied."),
        };

    internal static long? Generation(HttpContext http, long? fromBody) =>
        fromBody ?? (long.TryParse(http.Request.Query["generation"], NumberStyles.Integer, CultureInfo.InvariantCulture, out var g) ? g : null);

    internal static async Task<(T? Value, IResult? Error)> BodyAsync<T>(HttpContext http, CancellationToken ct) where T : class
    {
        if (http.Request.ContentLength is 0 || (http.Request.ContentLength is null && http.Request.Headers.TransferEncoding.Count == 0))
            return (null, null);
        try
        {
            using var reader = new StreamReader(http.Request.Body, Encoding.UTF8);
            var text = await reader.ReadToEndAsync(ct);
            return string.IsNullOrWhiteSpace(text) ? (null, null) : (JsonSerializer.Deserialize<T>(text, ApiJson.Options), null);
        }
        catch (JsonException e)
        {
            return (null, Error(400, $"The request body is not valid JSON for {typeof(T).Name} ({e.Message}); send, for example, {Example<T>()}."));
        }
    }

    private static string Example<T>() =>
        typeof(T) == typeof(FreezeRequest) ? "{\"reason\":\"maintenance\"}"
        : typeof(T) == typeof(ScaleRequest) ? "{\"instances\":5}"
        : typeof(T) == typeof(RotatePasswordRequest) ? "{\"role\":\"replication\"}"
        : "{\"to\":\"n2\"}";

    internal static IResult Json(object value, int status = 200) => Results.Json(value, ApiJson.Options, statusCode: status);

    private static IResult Error(int status, string message) => Results.Json(new { error = message }, ApiJson.Options, statusCode: status);
}
