using System.Text.Json;
using Akka.Actor;
using Akka.Cluster.Tools.PublishSubscribe;
using Appliance.Actors.Instance;
using Appliance.Actors.Protocol;
using Appliance.Host.Api.Json;
using Appliance.Host.Node;
using Appliance.Nodes.Postgres;
using Appliance.Nodes.State;
using Microsoft.AspNetCore.Mvc;

namespace Appliance.Host.Api;

/// <summary>Endpoints for the cluster-wide PostgreSQL settings, reloads and rolling restarts.</summary>
public static class SettingsApi
{
    /// <summary>How long one node may take to reload.</summary>
    public static readonly TimeSpan ReloadTimeout = TimeSpan.FromSeconds(30);

    /// <summary>Maps <c>GET|PATCH /config</c>, <c>POST /reload</c>, <c>POST /restart</c>.</summary>
    public static void Map(RouteGroupBuilder api, RouteGroupBuilder restricted)
    {
        restricted.MapGet("/config", async (ClusterAccess access, PeerProber prober, CancellationToken ct) =>
        {
            var state = await StateAsync(access, ct);
            var peers = await prober.ProbeAsync(state, ct);
            return NodeApi.Json(new ConfigDto(state.Version, state.Settings, ClusterSettingsFile.Defaults(await TuningAsync(access, ct)),
                peers.Where(p => p.PendingRestart is { Count: > 0 }).ToDictionary(p => p.Id, p => p.PendingRestart!)));
        });

        api.MapMethods("/config", ["PATCH"], async (HttpContext http, ClusterAccess access, CancellationToken ct) =>
        {
            var body = await NodeApi.BodyAsync<ConfigPatch>(http, ct);
            if (body.Error is { } e) return e;
            var set = new Dictionary<string, string>();
            foreach (var (name, value) in body.Value?.Set ?? [])
            {
                if (Text(value) is not { } text)
                    return Refused($"The value of {name} must be a string, a number or a boolean, not {value.ValueKind}.");
                set[name] = text;
            }
            var unset = body.Value?.Unset ?? [];
            // Names first (an owned or malformed name is refused whatever PostgreSQL would say), then the values, by
            // PostgreSQL itself, before anything is written: a value it would not start with must never reach a node.
            var names = set.Keys.Concat(unset).Select(n => ClusterSettings.NameProblem(n)).OfType<string>().ToList();
            if (names.Count > 0) return Refused($"Nothing was changed: {string.Join("; ", names)}.");
            var problems = await SettingsCheck.ProblemsAsync(await BinariesAsync(access, ct),
                set.ToDictionary(kv => ClusterSettings.Normalize(kv.Key), kv => kv.Value), ct);
            if (problems.Count > 0)
                return Refused($"Nothing was changed: PostgreSQL would not start with these settings: {string.Join("; ", problems).TrimEnd('.')}.");
            return await NodeApi.SubmitAsync(access, new OperatorCommand.Configure(set, unset) { ExpectedGeneration = body.Value?.Generation }, ct);
        });

        api.MapPost("/reload", async (ClusterAccess access, [FromServices] ActorSystem system, CancellationToken ct) =>
        {
            var state = await StateAsync(access, ct);
            var steps = await Task.WhenAll(state.NamedPeers.Where(p => !state.IsDeposed(p.Id)).Select(async p =>
            {
                var outcome = await CommandAsync(system, p.Id, NodeCommandProtocol.Action.Reload, ReloadTimeout, ct);
                return new NodeStepDto(p.Id, outcome.Done ? "reloaded" : "failed", outcome.Done, outcome.Detail);
            }));
            return NodeApi.Json(steps);
        });

        api.MapPost("/restart", async (HttpContext http, ClusterAccess access, PeerProber prober, [FromServices] ActorSystem system, CancellationToken ct) =>
        {
            var body = await NodeApi.BodyAsync<RestartRequest>(http, ct);
            if (body.Error is { } e)
            {
                await e.ExecuteAsync(http);
                return;
            }
            var state = await StateAsync(access, ct);
            var unknown = (body.Value?.Peers ?? []).Where(id => !state.Names(id) || state.IsDeposed(id)).ToList();
            if (unknown.Count > 0)
            {
                await Refused($"Nothing was restarted: {string.Join(", ", unknown)} is not the primary, the sync or an async.").ExecuteAsync(http);
                return;
            }
            // Progress streams as it happens, one JSON object a line, so the CLI can print each node as it goes.
            http.Response.ContentType = "application/x-ndjson";
            var roll = new RollingRestart(access, prober, (peer, action, timeout, token) => CommandAsync(system, peer, action, timeout, token));
            await foreach (var step in roll.RunAsync(state, body.Value?.Pending ?? false, body.Value?.Peers ?? [], ct))
            {
                await http.Response.WriteAsync(JsonSerializer.Serialize(step, ApiJson.Compact) + "\n", ct);
                await http.Response.Body.FlushAsync(ct);
            }
        });
    }

    private static IResult Refused(string detail) =>
        NodeApi.Json(new CommandResultDto(false, nameof(RefusalReason.InvalidRequest), detail, null), StatusCodes.Status412PreconditionFailed);

    private static string? Text(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => value.GetString(),
        JsonValueKind.Number => value.GetRawText(),
        JsonValueKind.True => "on",
        JsonValueKind.False => "off",
        _ => null,
    };

    private static async Task<ClusterState> StateAsync(ClusterAccess access, CancellationToken ct) =>
        (await access.CoordinatorStateAsync(TimeSpan.FromSeconds(3), ct))?.State
        ?? throw new ClusterUnavailableException("The coordinator did not answer with a cluster state; try again shortly.");

    private static async Task<PostgresDriver?> DriverAsync(ClusterAccess access, CancellationToken ct) =>
        (access.SingleInstance as PostgresDatabaseInstance)?.Driver
        ?? ((await access.LocalAsync(ct)).Select(l => l.Instance).OfType<PostgresDatabaseInstance>().FirstOrDefault())?.Driver;

    private static async Task<ServerTuning> TuningAsync(ClusterAccess access, CancellationToken ct) =>
        (await DriverAsync(access, ct))?.Settings.Tuning ?? ServerTuning.Default;

    private static async Task<PostgresBinaries> BinariesAsync(ClusterAccess access, CancellationToken ct) =>
        (await DriverAsync(access, ct))?.Binaries ?? await PostgresBinaries.LocateAsync(access.Options.BinDir, ct);

    /// <summary>Asks the node of <paramref name="peer"/> (through pub-sub) to act; a silent node is a failed outcome.</summary>
    private static async Task<NodeCommandProtocol.Outcome> CommandAsync(ActorSystem system, string peer, NodeCommandProtocol.Action action,
        TimeSpan timeout, CancellationToken ct)
    {
        var mediator = DistributedPubSub.Get(system).Mediator;
        try
        {
            return await mediator.Ask<NodeCommandProtocol.Outcome>(new Publish(NodeCommandProtocol.Topic, new NodeCommandProtocol.Command(peer, action)),
                timeout, ct);
        }
        catch (AskTimeoutException)
        {
            return new NodeCommandProtocol.Outcome(peer, false, $"failed: its node did not answer within {timeout.TotalSeconds:0} s");
        }
    }
}
