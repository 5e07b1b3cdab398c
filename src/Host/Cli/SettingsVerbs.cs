using System.Text.Json;
using Appliance.Host.Api;
using Appliance.Host.Api.Json;

namespace Appliance.Host.Cli;

/// <summary>The verbs for cluster-wide settings, reloads and rolling restarts: <c>config</c>, <c>reload</c>, <c>restart</c>.</summary>
public static class SettingsVerbs
{
    /// <summary><c>config show</c>: the cluster's settings, the node's defaults and pending restarts.</summary>
    public static async Task<int> ShowAsync(ApiClient api, bool json, TextWriter output, CancellationToken ct)
    {
        var response = await api.GetAsync("/config", ct);
        if (!ApiClient.Ok(response.Status)) throw new CliException($"The node answered {response.Status}: {response.ErrorText()}");
        if (json) { output.WriteLine(response.Body); return 0; }
        var config = response.Read<ConfigDto>();
        output.WriteLine($"settings (state v{config.Version}):");
        if (config.Settings.Count == 0) output.WriteLine("  (none set)");
        foreach (var (name, value) in config.Settings) output.WriteLine($"  {name} = {value}");
        output.WriteLine("defaults (where not set):");
        foreach (var (name, value) in config.Defaults.Where(d => !config.Settings.ContainsKey(d.Key))) output.WriteLine($"  {name} = {value}");
        foreach (var (peer, names) in config.PendingRestart)
            output.WriteLine($"pending restart: {peer} ({string.Join(", ", names)}); run 'appliance restart --pending'");
        return 0;
    }

    /// <summary><c>config set KEY=VALUE…</c> and <c>config unset KEY…</c>.</summary>
    public static async Task<int> ChangeAsync(ApiClient api, IReadOnlyList<string> set, IReadOnlyList<string> unset, long? generation, bool json,
        TextWriter output, TextWriter error, CancellationToken ct)
    {
        var pairs = new Dictionary<string, string>();
        foreach (var item in set)
        {
            var at = item.IndexOf('=');
            if (at <= 0) throw new CliException($"'{item}' is not KEY=VALUE; for example: appliance config set work_mem=8MB", exitCode: 2, retryable: false);
            pairs[item[..at].Trim()] = item[(at + 1)..];
        }
        var response = await api.PatchAsync("/config", new { set = pairs, unset, generation }, ct);
        if (json) { output.WriteLine(response.Body); return ApiClient.Ok(response.Status) ? 0 : response.Status is 409 or 412 ? 1 : 2; }
        if (response.Status is not (200 or 409 or 412)) throw new CliException($"The node answered {response.Status}: {response.ErrorText()}");
        var result = response.Read<CommandResultDto>();
        if (!result.Accepted)
        {
            error.WriteLine($"refused ({response.Status} {result.Reason}): {result.Detail}");
            return 1;
        }
        output.WriteLine($"accepted ({result.Reason}): {result.Detail}");
        return 0;
    }

    /// <summary><c>reload</c>: every node reloads; one line per node, exit 1 if any failed.</summary>
    public static async Task<int> ReloadAsync(ApiClient api, bool json, TextWriter output, CancellationToken ct)
    {
        var response = await api.PostAsync("/reload", null, ct);
        if (!ApiClient.Ok(response.Status)) throw new CliException($"The node answered {response.Status}: {response.ErrorText()}");
        if (json) output.WriteLine(response.Body);
        var steps = response.Read<List<NodeStepDto>>();
        if (!json) foreach (var s in steps) output.WriteLine($"{s.Peer}: {s.Detail}");
        return steps.All(s => s.Ok) ? 0 : 1;
    }

    /// <summary><c>restart [--pending] [ID…]</c>: the rolling restart, one line per step as it happens.</summary>
    public static async Task<int> RestartAsync(ApiClient api, bool pending, IReadOnlyList<string> peers, bool json, TextWriter output,
        TextWriter error, CancellationToken ct)
    {
        var ok = true;
        var response = await api.PostLinesAsync("/restart", new { pending, peers }, line =>
        {
            var step = JsonSerializer.Deserialize<NodeStepDto>(line, ApiJson.Options)!;
            ok &= step.Ok;
            output.WriteLine(json ? line : step.Step == "done" ? step.Detail : $"{step.Peer}: {step.Step}: {step.Detail}");
            output.Flush();
        }, ct);
        if (response.Status == 200) return ok ? 0 : 1;
        if (response.Status is 409 or 412)
        {
            if (json) output.WriteLine(response.Body);
            else error.WriteLine($"refused ({response.Status}): {response.Read<CommandResultDto>().Detail}");
            return 1;
        }
        throw new CliException($"The node answered {response.Status}: {response.ErrorText()}");
    }
}
