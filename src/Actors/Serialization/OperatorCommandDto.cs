using Appliance.Nodes.State;

namespace Appliance.Actors.Serialization;

/// <summary>The wire shape of an <see cref="OperatorCommand"/>: a stable kind name and the fields the kinds use.</summary>
/// <param name="Kind"><c>freeze</c>, <c>unfreeze</c>, <c>switchover</c>, <c>rebuild</c>, <c>reap</c>, <c>scale</c>, <c>maintenance</c>,
/// <c>failover</c>, <c>schedule-switchover</c>, <c>cancel-switchover</c>, <c>configure</c> or <c>promote-cluster</c>.</param>
/// <param name="ExpectedGeneration">The generation the operator saw, if the command is bound to one.</param>
/// <param name="Reason">The freeze reason.</param>
/// <param name="To">The switchover target, null for the sync.</param>
/// <param name="PeerId">The deposed peer to rebuild or reap.</param>
/// <param name="Instances">The new number of instances (scale).</param>
/// <param name="Force">Scale below the minimum; for a failover, the accepted data loss.</param>
/// <param name="On">Maintenance on (true) or off.</param>
/// <param name="At">When a scheduled switchover is due.</param>
/// <param name="Set">Settings to set (configure).</param>
/// <param name="Unset">Settings to remove (configure).</param>
internal sealed record OperatorCommandDto(
    string Kind, long? ExpectedGeneration = null, string? Reason = null, string? To = null, string? PeerId = null,
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)] int? Instances = null,
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)] bool? Force = null,
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)] bool? On = null,
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)] DateTimeOffset? At = null,
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)] IReadOnlyDictionary<string, string>? Set = null,
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<string>? Unset = null);
