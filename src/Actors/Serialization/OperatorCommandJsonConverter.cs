using System.Text.Json;
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

/// <summary>Reads and writes the closed <see cref="OperatorCommand"/> hierarchy by kind name.</summary>
internal sealed class OperatorCommandJsonConverter : DtoJsonConverter<OperatorCommand, OperatorCommandDto>
{
    protected override OperatorCommandDto ToDto(OperatorCommand value) => value switch
    {
        OperatorCommand.Freeze f => new OperatorCommandDto("freeze", f.ExpectedGeneration, Reason: f.Reason),
        OperatorCommand.Unfreeze u => new OperatorCommandDto("unfreeze", u.ExpectedGeneration),
        OperatorCommand.Switchover s => new OperatorCommandDto("switchover", s.ExpectedGeneration, To: s.To),
        OperatorCommand.Rebuild r => new OperatorCommandDto("rebuild", r.ExpectedGeneration, PeerId: r.PeerId),
        OperatorCommand.Reap r => new OperatorCommandDto("reap", r.ExpectedGeneration, PeerId: r.PeerId),
        OperatorCommand.Scale s => new OperatorCommandDto("scale", s.ExpectedGeneration, Instances: s.Instances, Force: s.Force),
        OperatorCommand.Maintenance m => new OperatorCommandDto("maintenance", m.ExpectedGeneration, PeerId: m.PeerId, On: m.On),
        OperatorCommand.Failover f => new OperatorCommandDto("failover", f.ExpectedGeneration, To: f.To, Force: f.AcceptDataLoss),
        OperatorCommand.ScheduleSwitchover s => new OperatorCommandDto("schedule-switchover", s.ExpectedGeneration, To: s.To, At: s.At),
        OperatorCommand.CancelSwitchover c => new OperatorCommandDto("cancel-switchover", c.ExpectedGeneration),
        OperatorCommand.Configure c => new OperatorCommandDto("configure", c.ExpectedGeneration, Set: c.Set, Unset: c.Unset),
        OperatorCommand.PromoteCluster p => new OperatorCommandDto("promote-cluster", p.ExpectedGeneration),
        _ => throw new JsonException($"No wire form for command {value}; add a kind for it."),
    };

    protected override OperatorCommand FromDto(OperatorCommandDto d)
    {
        OperatorCommand command = d.Kind switch
        {
            "freeze" => new OperatorCommand.Freeze(Required(d.Reason, d.Kind, "reason")),
            "unfreeze" => new OperatorCommand.Unfreeze(),
            "switchover" => new OperatorCommand.Switchover(d.To),
            "rebuild" => new OperatorCommand.Rebuild(Required(d.PeerId, d.Kind, "peerId")),
            "reap" => new OperatorCommand.Reap(Required(d.PeerId, d.Kind, "peerId")),
            "scale" => new OperatorCommand.Scale(d.Instances ?? throw new JsonException("A scale command needs 'instances'."), d.Force ?? false),
            "maintenance" => new OperatorCommand.Maintenance(Required(d.PeerId, d.Kind, "peerId"), d.On ?? throw new JsonException("A maintenance command needs 'on'.")),
            "failover" => new OperatorCommand.Failover(Required(d.To, d.Kind, "to"), d.Force ?? false),
            "schedule-switchover" => new OperatorCommand.ScheduleSwitchover(d.At ?? throw new JsonException("A schedule-switchover command needs 'at'."), d.To),
            "cancel-switchover" => new OperatorCommand.CancelSwitchover(),
            "configure" => new OperatorCommand.Configure(d.Set ?? new Dictionary<string, string>(), d.Unset ?? []),
            "promote-cluster" => new OperatorCommand.PromoteCluster(),
            _ => throw new JsonException($"Unknown operator command kind '{d.Kind}'; expected freeze, unfreeze, switchover, rebuild, reap, scale, maintenance, failover, schedule-switchover, cancel-switchover, configure or promote-cluster."),
        };
        return command with { ExpectedGeneration = d.ExpectedGeneration };
    }

    private static string Required(string? value, string kind, string field) =>
        value ?? throw new JsonException($"A {kind} command needs '{field}'.");
}
