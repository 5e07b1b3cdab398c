using System.Text.Json;

namespace Appliance.Host.Api;

/// <summary>
/// <c>PATCH /config</c>: <c>{"set":{"work_mem":"8MB","max_connections":200},"unset":["statement_timeout"]}</c>. Values
/// may be strings, numbers or booleans (written on/off).
/// </summary>
/// <param name="Set">Settings to set.</param>
/// <param name="Unset">Settings to remove.</param>
/// <param name="Generation">Apply only at this generation.</param>
public sealed record ConfigPatch(Dictionary<string, JsonElement>? Set, List<string>? Unset, long? Generation);
