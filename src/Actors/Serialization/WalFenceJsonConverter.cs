using System.Text.Json;
using Appliance.Nodes.State;

namespace Appliance.Actors.Serialization;

/// <summary>Reads and writes the closed <see cref="WalFence"/> hierarchy by kind name, not by CLR type name.</summary>
internal sealed class WalFenceJsonConverter : DtoJsonConverter<WalFence, WalFenceDto>
{
    private const string StopReceiving = "stop-receiving";
    private const string NameSync = "name-sync";

    protected override WalFenceDto ToDto(WalFence value) => value switch
    {
        WalFence.StopReceiving => new WalFenceDto(StopReceiving),
        WalFence.NameSync n => new WalFenceDto(NameSync, n.PeerId),
        _ => throw new JsonException($"No wire form for fence {value}; add a kind for it."),
    };

    protected override WalFence FromDto(WalFenceDto dto) => dto.Kind switch
    {
        StopReceiving => WalFence.StopReceivingWal,
        NameSync => new WalFence.NameSync(dto.PeerId ?? throw new JsonException("A name-sync fence needs a peerId.")),
        _ => throw new JsonException($"Unknown fence kind '{dto.Kind}'; expected '{StopReceiving}' or '{NameSync}'."),
    };
}
