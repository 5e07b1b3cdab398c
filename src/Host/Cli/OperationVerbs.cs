using System.Globalization;
using Appliance.Host.Api;

namespace Appliance.Host.Cli;

/// <summary>The verbs of issue 15 parts 3 and 4: <c>maintenance on|off [ID]</c> and <c>switchover --at|--cancel</c>.</summary>
public static class OperationVerbs
{
    /// <summary><c>maintenance on|off [ID]</c>; without an id, the node the endpoint names.</summary>
    public static async Task<int> MaintenanceAsync(ApiClient api, string mode, string? id, bool json, TextWriter output, TextWriter error, CancellationToken ct)
    {
        var on = mode.ToLowerInvariant() switch
        {
            "on" => true,
            "off" => false,
            _ => throw new CliException($"Say 'on' or 'off', not '{mode}'.", exitCode: 2, retryable: false),
        };
        if (string.IsNullOrWhiteSpace(id))
        {
            var status = await api.GetAsync("/status", ct);
            if (!ApiClient.Ok(status.Status)) throw new CliException($"The node answered {status.Status}: {status.ErrorText()}");
            id = status.Read<StatusDto>().Id;
        }
        return await Verbs.CommandAsync(api, $"/maintenance/{Uri.EscapeDataString(id)}", new { on }, json, output, error, ct);
    }

    /// <summary>The body of <c>POST /switchover</c>: now, at a time, or a cancel.</summary>
    /// <exception cref="CliException">A time that cannot be read.</exception>
    public static object SwitchoverBody(string? to, string? at, bool cancel, DateTimeOffset now)
    {
        if (cancel) return new { cancel = true };
        if (at is null) return new { to };
        return new { to, at = ParseTime(at, now) };
    }

    /// <summary>ISO 8601 (a time without an offset is UTC), or <c>+N</c> with <c>s</c>, <c>m</c>, <c>h</c> or <c>d</c> from now.</summary>
    /// <exception cref="CliException">Neither.</exception>
    public static DateTimeOffset ParseTime(string text, DateTimeOffset now)
    {
        text = text.Trim();
        if (text.StartsWith('+') && text.Length > 2
            && double.TryParse(text[1..^1], NumberStyles.Float, CultureInfo.InvariantCulture, out var n) && n > 0)
        {
            TimeSpan? span = char.ToLowerInvariant(text[^1]) switch
            {
                's' => TimeSpan.FromSeconds(n),
                'm' => TimeSpan.FromMinutes(n),
                'h' => TimeSpan.FromHours(n),
                'd' => TimeSpan.FromDays(n),
                _ => null,
            };
            if (span is { } s) return now + s;
        }
        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at)) return at;
        throw new CliException($"--at '{text}' is not a time: give ISO 8601 (2026-12-05T03:00:00Z) or +30m, +2h.", exitCode: 2, retryable: false);
    }
}
