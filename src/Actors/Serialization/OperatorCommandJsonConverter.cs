using System.Text.Json;
using Appliance.Nodes.State;

namespace Appliance.Actors.Serialization;

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
