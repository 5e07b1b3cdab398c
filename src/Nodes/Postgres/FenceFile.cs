using Appliance.Nodes.State;

namespace Appliance.Nodes.Postgres;

/// <summary>
/// A raised fence, kept in a file beside the data directory (not inside it: a rewind or clone replaces the data
/// directory, and the fence must outlive both). A node process that restarts while fenced restores the fence before
/// any role runs, so a restart cannot undo it: a sync fenced for a takeover does not resume streaming from the old
/// primary, and a primary fenced to name a new sync does not fall back to the old one.
/// </summary>
/// <param name="path">The file.</param>
public sealed class FenceFile(string path)
{
    /// <summary>The file beside <paramref name="dataDirectory"/>.</summary>
    public static FenceFile Beside(string dataDirectory) => new(dataDirectory.TrimEnd('/') + ".appliance-fence");

    /// <summary>The file's path.</summary>
    public string Path { get; } = path;

    /// <summary>Writes the fence durably (temporary file, fsync, rename) before it is raised.</summary>
    public async Task SaveAsync(WalFence fence, FenceOwner owner, CancellationToken ct)
    {
        var dto = new Stored(fence is WalFence.NameSync n ? "name-sync" : "stop-receiving", (fence as WalFence.NameSync)?.PeerId,
            owner.Coordinator, owner.StateVersion, owner.ProbeId);
        await DurableFile.WriteJsonAsync(Path, dto, ct).ConfigureAwait(false);
    }

    /// <summary>The fence kept in the file, or null when there is none.</summary>
    /// <exception cref="InvalidDataException">The file exists but does not hold a fence; the message names it.</exception>
    public (WalFence Fence, FenceOwner Owner)? Load()
    {
        if (DurableFile.ReadJson<Stored>(Path, "a fence") is not { } dto) return null;
        WalFence fence = dto.Kind switch
        {
            "stop-receiving" => WalFence.StopReceivingWal,
            "name-sync" when dto.PeerId is { } peer => new WalFence.NameSync(peer),
            _ => throw new InvalidDataException($"{Path} holds an unknown fence kind '{dto.Kind}'."),
        };
        return (fence, new FenceOwner(dto.Coordinator, dto.StateVersion, dto.ProbeId));
    }

    /// <summary>Removes the file once the fence is lifted or superseded.</summary>
    public void Clear() => File.Delete(Path);

    private sealed record Stored(string Kind, string? PeerId, string Coordinator, long StateVersion, long ProbeId);
}
