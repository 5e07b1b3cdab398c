using System.Text.Json;
using Appliance.Host.Api;
using Appliance.Host.Api.Json;
using Spectre.Console;

namespace Appliance.Host.Cli;

/// <summary>The operator verbs over any node's HTTP API. Exit codes: 0 done, 1 refused or problems found, 2 could not ask.</summary>
public static class Verbs
{
    /// <summary><c>status</c>.</summary>
    public static async Task<int> StatusAsync(ApiClient api, bool json, TextWriter output, CancellationToken ct)
    {
        var response = await ExpectAsync(api.GetAsync("/cluster", ct));
        if (json) { output.WriteLine(response.Body); return 0; }
        Render.Cluster(Render.Console(), response.Read<ClusterViewDto>());
        return 0;
    }

    /// <summary><c>history</c>.</summary>
    public static async Task<int> HistoryAsync(ApiClient api, bool json, TextWriter output, CancellationToken ct, long? since = null, int? limit = null)
    {
        var query = string.Join("&", new[] { since is { } s ? $"since={s}" : null, limit is { } l ? $"limit={l}" : null }.OfType<string>());
        var response = await ExpectAsync(api.GetAsync(query.Length > 0 ? "/history?" + query : "/history", ct));
        if (json) { output.WriteLine(response.Body); return 0; }
        Render.History(Render.Console(), response.Read<List<HistoryEntryDto>>());
        return 0;
    }

    /// <summary><c>verify</c>: one line per problem, exit 1 if any.</summary>
    public static async Task<int> VerifyAsync(ApiClient api, bool json, TextWriter output, CancellationToken ct)
    {
        var view = (await ExpectAsync(api.GetAsync("/cluster", ct))).Read<ClusterViewDto>();
        var problems = Verify.Problems(view);
        if (json)
            output.WriteLine(JsonSerializer.Serialize(new { ok = problems.Count == 0, problems }, ApiJson.Options));
        else if (problems.Count == 0)
            output.WriteLine($"ok: {view.Peers.Count} peers, generation {view.State!.Generation}, replication as the state says");
        else
            foreach (var p in problems) output.WriteLine($"problem: {p}");
        return problems.Count == 0 ? 0 : 1;
    }

    /// <summary>A mutating verb: prints the outcome; exit 0 if accepted, 1 if refused.</summary>
    public static async Task<int> CommandAsync(ApiClient api, string path, object? body, bool json, TextWriter output, TextWriter error, CancellationToken ct)
    {
        var response = await api.PostAsync(path, body, ct);
        if (json) { output.WriteLine(response.Body); return ApiClient.Ok(response.Status) ? 0 : response.Status is 409 or 412 ? 1 : 2; }
        if (response.Status is 200 or 409 or 412)
        {
            var result = response.Read<CommandResultDto>();
            if (result.Accepted)
            {
                output.WriteLine($"accepted ({result.Reason}): {result.Detail}");
                if (result.State is { } s) output.WriteLine(Render.Header(s));
                return 0;
            }
            error.WriteLine($"refused ({response.Status} {result.Reason}): {result.Detail}");
            return 1;
        }
        throw new CliException($"The node answered {response.Status}: {response.ErrorText()}");
    }

    /// <summary><c>watch</c>: the topology again on every state change, until Ctrl-C; <c>--json</c> prints each state as one line.</summary>
    public static async Task<int> WatchAsync(ApiClient api, bool json, TextWriter output, CancellationToken ct)
    {
        var console = Render.Console();
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await foreach (var data in api.StreamAsync(ct))
                {
                    if (json) { output.WriteLine(data); output.Flush(); continue; }
                    var view = (await ExpectAsync(api.GetAsync("/cluster", ct))).Read<ClusterViewDto>();
                    console.WriteLine($"--- {DateTimeOffset.UtcNow:HH:mm:ss}Z, answered by {view.AnsweredBy}");
                    Render.Cluster(console, view);
                }
                await Console.Error.WriteLineAsync($"watch: the stream from {api.Endpoint} ended; reconnecting");
            }
            catch (CliException e) when (e.Retryable)
            {
                await Console.Error.WriteLineAsync($"watch: {e.Message} Retrying every second; Ctrl-C stops.");
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested) { break; }
            try { await Task.Delay(1000, ct); }
            catch (OperationCanceledException) { break; }
        }
        return 0;
    }

    private static async Task<ApiResponse> ExpectAsync(Task<ApiResponse> request)
    {
        var response = await request;
        return ApiClient.Ok(response.Status) ? response : throw new CliException($"The node answered {response.Status}: {response.ErrorText()}");
    }
}
