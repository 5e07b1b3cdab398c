using Appliance.Host.Node;
using Appliance.Nodes.State;

namespace Appliance.Host.Api;

/// <summary>
/// The operator endpoints of issue 15 (parts 3 and 4): <c>POST /maintenance/{id}</c> with <c>{"on": true|false}</c>
/// and <c>POST /failover</c> with <c>{"to": ID, "acceptDataLoss": true}</c>; and issue 17's <c>POST /promote-cluster</c>
/// (no body; <c>?generation=N</c> as the others), which makes a standby cluster writable. Like every change, behind the operator
/// token (<see cref="Access.ApiAccess"/>); refusals are 409 or 412 with the rule's reason.
/// </summary>
public static class OperationsApi
{
    /// <summary>Maps the endpoints on <paramref name="api"/>, the group that requires the operator for changes.</summary>
    public static RouteGroupBuilder MapOperationsApi(this RouteGroupBuilder api)
    {
        api.MapPost("/maintenance/{id}", async (string id, HttpContext http, ClusterAccess access, CancellationToken ct) =>
        {
            var body = await NodeApi.BodyAsync<MaintenanceRequest>(http, ct);
            if (body.Error is { } e) return e;
            if (body.Value?.On is not { } on)
                return Invalid("Say whether maintenance starts or ends: {\"on\": true} or {\"on\": false}.");
            return await NodeApi.SubmitAsync(access, new OperatorCommand.Maintenance(id, on) { ExpectedGeneration = NodeApi.Generation(http, null) }, ct);
        });
        api.MapPost("/failover", async (HttpContext http, ClusterAccess access, CancellationToken ct) =>
        {
            var body = await NodeApi.BodyAsync<FailoverRequest>(http, ct);
            if (body.Error is { } e) return e;
            if (string.IsNullOrWhiteSpace(body.Value?.To))
                return Invalid("Name the peer to make primary: {\"to\": \"n3\", \"acceptDataLoss\": true}.");
            return await NodeApi.SubmitAsync(access, new OperatorCommand.Failover(body.Value.To.Trim(), body.Value.AcceptDataLoss ?? false)
                { ExpectedGeneration = NodeApi.Generation(http, null) }, ct);
        });
        api.MapPost("/promote-cluster", (HttpContext http, ClusterAccess access, CancellationToken ct) =>
            NodeApi.SubmitAsync(access, new OperatorCommand.PromoteCluster { ExpectedGeneration = NodeApi.Generation(http, null) }, ct));
        return api;
    }

    private static IResult Invalid(string detail) =>
        NodeApi.Json(new CommandResultDto(false, nameof(RefusalReason.InvalidRequest), detail, null), StatusCodes.Status412PreconditionFailed);
}
