using System.Net.Http.Json;
using System.Text.Json;

namespace Appliance.Bench;

/// <summary>The few fields of <c>GET /status</c> the bench reads.</summary>
internal sealed record NodeStatus(string Id, string Role, string AssignedRole, bool PostgresRunning, bool ReadWrite, bool Streaming,
    int HostPid, int? PostmasterPid, int? Timeline);

/// <summary>The few fields of <c>GET /state</c> the bench reads.</summary>
internal sealed record PeerRef(string Id, string Host, int Port);

/// <summary>The cluster state as <c>GET /state</c> serves it.</summary>
internal sealed record ClusterStateView(long Version, long Generation, PeerRef? Primary, PeerRef? Sync, List<PeerRef> Async, List<PeerRef> Deposed);

/// <summary>The node HTTP API (DESIGN §7), with short timeouts: a dead node is "no answer", not an exception.</summary>
internal static class NodeApi
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(3) };
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static async Task<NodeStatus?> StatusAsync(NodeProcess n)
    {
        try { return await Http.GetFromJsonAsync<NodeStatus>(n.Url + "/status", Json); }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or JsonException) { return null; }
    }

    public static async Task<ClusterStateView?> StateAsync(NodeProcess n)
    {
        try { return await Http.GetFromJsonAsync<ClusterStateView>(n.Url + "/state", Json); }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or JsonException) { return null; }
    }

    public static async Task<bool> IsPrimaryAsync(NodeProcess n)
    {
        try
        {
            using var r = await Http.GetAsync(n.Url + "/primary");
            return (int)r.StatusCode == 200;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException) { return false; }
    }

    /// <summary>POSTs a command; returns the status code and body.</summary>
    public static async Task<(int Code, string Body)> PostAsync(NodeProcess n, string path, object? body)
    {
        using var r = await Http.PostAsJsonAsync(n.Url + path, body ?? new { }, Json);
        return ((int)r.StatusCode, await r.Content.ReadAsStringAsync());
    }
}
