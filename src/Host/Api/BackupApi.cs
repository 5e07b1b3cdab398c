using System.Text.Json;
using Akka.Actor;
using Akka.Cluster.Tools.PublishSubscribe;
using Appliance.Actors.Protocol;
using Appliance.Host.Api.Json;
using Appliance.Host.Node;
using Appliance.Nodes.Backup;
using Appliance.Nodes.Postgres;
using Microsoft.AspNetCore.Mvc;

namespace Appliance.Host.Api;

/// <summary>
/// Backups over HTTP (issue 17): <c>POST /backup</c> asks the primary's node to back up (wherever the request lands) and
/// streams its progress, one JSON object a line, until it ends; <c>GET /backups</c> lists the repository.
/// </summary>
public static class BackupApi
{
    /// <summary>How long the primary's node may take to answer one question.</summary>
    public static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(10);

    /// <summary>How often the progress of a running backup is read.</summary>
    public static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(1);

    /// <summary>Maps the endpoints: the change on <paramref name="api"/>, the listing on <paramref name="restricted"/>.</summary>
    public static void MapBackupApi(this RouteGroupBuilder api, RouteGroupBuilder restricted)
    {
        api.MapPost("/backup", async (HttpContext http, ClusterAccess access, [FromServices] ActorSystem system, CancellationToken ct) =>
        {
            if (ApplianceNodeHosting.BackupSettings(access.Options) is null)
            {
                await Refused(NoRepository(access)).ExecuteAsync(http);
                return;
            }
            var body = await NodeApi.BodyAsync<BackupRequest>(http, ct);
            if (body.Error is { } e)
            {
                await e.ExecuteAsync(http);
                return;
            }
            var type = body.Value?.Type ?? "incr";
            if (!Enum.TryParse<BackupType>(type, ignoreCase: true, out _))
            {
                await Refused($"Unknown backup type '{type}': use full, diff or incr.").ExecuteAsync(http);
                return;
            }
            var fromText = body.Value?.From ?? "auto";
            if (!Enum.TryParse<BackupFrom>(fromText, ignoreCase: true, out var from) || !Enum.IsDefined(from) || int.TryParse(fromText, out _))
            {
                await Refused($"Unknown backup source '{fromText}': use auto, standby or primary.").ExecuteAsync(http);
                return;
            }
            var state = (await access.CoordinatorStateAsync(TimeSpan.FromSeconds(3), ct))?.State
                        ?? throw new ClusterUnavailableException("The coordinator did not answer with a cluster state; try again shortly.");
            var placement = BackupSource.Choose(state, from, StandbyUnavailable(access));
            if (placement.Runner is not { } runner)
            {
                await Refused($"{char.ToUpperInvariant(placement.Reason[0])}{placement.Reason[1..]}.", 409).ExecuteAsync(http);
                return;
            }
            var mediator = DistributedPubSub.Get(system).Mediator;
            BackupProtocol.Progress started;
            try { started = await mediator.Ask<BackupProtocol.Progress>(new Publish(BackupProtocol.Topic, new BackupProtocol.Start(runner.Id, type.ToLowerInvariant())), AskTimeout, ct); }
            catch (AskTimeoutException)
            {
                await Refused($"The node of {runner.Id} did not answer within {AskTimeout.TotalSeconds:0} s; is it started with --backup-repo?", 409).ExecuteAsync(http);
                return;
            }
            if (started.State != "running")
            {
                await Refused($"Refused by {runner.Id}: {started.Detail}.", 409).ExecuteAsync(http);
                return;
            }
            // The first line says where the backup runs and why (the fallback to the primary included).
            started = started with { Detail = $"{started.Detail} ({placement.Reason})" };
            http.Response.ContentType = "application/x-ndjson";
            await foreach (var progress in FollowAsync(mediator, started, ct))
            {
                await http.Response.WriteAsync(JsonSerializer.Serialize(progress, ApiJson.Compact) + "\n", ct);
                await http.Response.Body.FlushAsync(ct);
            }
        });

        restricted.MapGet("/backups", async (ClusterAccess access, CancellationToken ct) =>
        {
            if (ApplianceNodeHosting.BackupSettings(access.Options) is not { } settings) return Refused(NoRepository(access));
            var pgBackRest = new PgBackRest(settings, access.Options.Host, access.Credentials);
            try { return NodeApi.Json(BackupsDto.From(BackupCatalog.Parse(await pgBackRest.InfoJsonAsync(ct)))); }
            catch (Exception x) when (x is PgBackRestException or FormatException)
            {
                return Results.Json(new { error = x.Message }, ApiJson.Options, statusCode: 503);
            }
        });
    }

    /// <summary>The started backup's progress, then a line whenever it changes, until it ends (the last line says how).</summary>
    private static async IAsyncEnumerable<BackupProtocol.Progress> FollowAsync(IActorRef mediator, BackupProtocol.Progress started,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        yield return started;
        var last = started;
        var silent = 0;
        while (last.State == "running")
        {
            await Task.Delay(PollInterval, ct);
            BackupProtocol.Progress? now = null;
            try { now = await mediator.Ask<BackupProtocol.Progress>(new Publish(BackupProtocol.Topic, new BackupProtocol.GetProgress(started.PeerId)), AskTimeout, ct); }
            catch (AskTimeoutException) { silent++; }
            if (now is null)
            {
                // The node may be busy for a moment; a node gone for good (it failed over) ends the stream.
                if (silent < 3) continue;
                yield return last with { State = "failed", Detail = $"{started.PeerId} stopped answering while the backup ran; see 'appliance backups' for whether it finished" };
                yield break;
            }
            silent = 0;
            if (now.Run != started.Run)
            {
                yield return last with { State = "failed", Detail = $"{started.PeerId} no longer knows this backup (its node restarted?); see 'appliance backups'" };
                yield break;
            }
            if (now == last) continue;
            last = now;
            yield return now;
        }
    }

    /// <summary>
    /// Why no standby can take a backup in this cluster, or null. TLS is configured on every node or on none (mutual
    /// TLS between members), so this node's own options tell.
    /// </summary>
    private static string? StandbyUnavailable(ClusterAccess access) => access.Options.Tls is null ? BackupSource.NoTls : null;

    private static string NoRepository(ClusterAccess access) =>
        $"Node {access.Options.Name} has no backup repository: start every node with --backup-repo PATH.";

    private static IResult Refused(string detail, int status = StatusCodes.Status412PreconditionFailed) =>
        NodeApi.Json(new CommandResultDto(false, "BackupRefused", detail, null), status);
}
