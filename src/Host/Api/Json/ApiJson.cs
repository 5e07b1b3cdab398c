using System.Text.Json;
using System.Text.Json.Serialization;
using Appliance.Nodes.State;

namespace Appliance.Host.Api.Json;

/// <summary>
/// How the HTTP API writes its JSON (DESIGN §7): the endpoints, the access rules' refusals and the CLI, which reads the
/// same forms back, all use these options and spell a role this way.
/// </summary>
public static class ApiJson
{
    /// <summary>camelCase, enums as lower-case strings, nulls written, indented for humans with curl.</summary>
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower) },
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    /// <summary>One line, for server-sent events.</summary>
    public static readonly JsonSerializerOptions Compact = new(Options) { WriteIndented = false };

    /// <summary>The lower-case name of a role, as the API spells it.</summary>
    public static string Name(PeerRole role) => role.ToString().ToLowerInvariant();
}
