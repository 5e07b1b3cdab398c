using System.Text;
using Appliance.Host.Api;
using Appliance.Host.Api.Json;

namespace Appliance.Host.Cli;

/// <summary>
/// <c>appliance dsn [--role primary|replica|any]</c>: a libpq connection string (key/value form) naming every peer of the
/// cluster state, so that libpq itself finds the right one: <c>target_session_attrs=read-write</c> for the primary,
/// <c>prefer-standby</c> for a replica (the primary when no standby answers), <c>any</c> for whichever answers first.
/// No password is ever in it (libpq takes it from <c>PGPASSWORD</c> or <c>~/.pgpass</c>); with the CLI's <c>--ca</c>
/// it asks for <c>sslmode=verify-ca</c> against that CA.
/// </summary>
public static class Dsn
{
    /// <summary>The roles <c>--role</c> takes.</summary>
    public static readonly IReadOnlyList<string> Roles = ["primary", "replica", "any"];

    /// <summary>The connection string for <paramref name="role"/> from <paramref name="state"/>.</summary>
    /// <exception cref="CliException">An unknown role, or a state that names no peer.</exception>
    public static string Build(StateDto state, string role, string? caFile, string user = "postgres", string database = "postgres")
    {
        var attrs = role switch
        {
            "primary" => "read-write",
            "replica" => "prefer-standby",
            "any" => "any",
            _ => throw new CliException($"--role '{role}' is not one of {string.Join(", ", Roles)}."),
        };
        var standbys = (state.Sync is { } s ? new[] { s } : []).Concat(state.Async).ToList();
        // For reads the standbys come first, so that 'any' and the fallback of 'prefer-standby' spread less on the primary.
        var peers = (role == "primary"
                ? (state.Primary is { } p ? new[] { p } : []).Concat(standbys)
                : standbys.Concat(state.Primary is { } q ? new[] { q } : []))
            .DistinctBy(x => x.Id).ToList();
        if (peers.Count == 0) throw new CliException("The cluster state names no peer yet; try again once the cluster is set up.");
        var parts = new List<(string Key, string Value)>
        {
            ("host", string.Join(",", peers.Select(x => x.Host))),
            ("port", string.Join(",", peers.Select(x => x.Port))),
            ("user", user),
            ("dbname", database),
            ("target_session_attrs", attrs),
        };
        if (caFile is { Length: > 0 })
        {
            parts.Add(("sslmode", "verify-ca"));
            parts.Add(("sslrootcert", Path.GetFullPath(caFile)));
        }
        return string.Join(" ", parts.Select(x => $"{x.Key}={Quote(x.Value)}"));
    }

    /// <summary>A libpq key/value value: quoted with single quotes when empty or holding a space, quote or backslash.</summary>
    public static string Quote(string value)
    {
        if (value.Length > 0 && !value.Any(c => char.IsWhiteSpace(c) || c is '\'' or '\\')) return value;
        var sb = new StringBuilder("'");
        foreach (var c in value) sb.Append(c is '\'' or '\\' ? "\\" : "").Append(c);
        return sb.Append('\'').ToString();
    }

    /// <summary>The verb: reads <c>/state</c> from any node and prints the string (with <c>--json</c>: <c>{"dsn": …}</c>).</summary>
    public static async Task<int> RunAsync(ApiClient api, string role, string? caFile, bool json, TextWriter output, CancellationToken ct)
    {
        if (!Roles.Contains(role)) throw new CliException($"--role '{role}' is not one of {string.Join(", ", Roles)}.");
        var response = await api.GetAsync("/state", ct);
        if (!ApiClient.Ok(response.Status)) throw new CliException($"The node answered {response.Status}: {response.ErrorText()}");
        var dsn = Build(response.Read<StateDto>(), role, caFile);
        output.WriteLine(json ? System.Text.Json.JsonSerializer.Serialize(new { dsn }, ApiJson.Options) : dsn);
        return 0;
    }
}
