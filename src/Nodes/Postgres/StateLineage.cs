using System.Globalization;
using Appliance.Nodes.State;

namespace Appliance.Nodes.Postgres;

/// <summary>
/// The newest cluster state a node has played, and the cluster it belongs to, kept beside the data directory. A
/// state store restored from an old backup, or one per node instead of one per cluster, hands out an older lineage:
/// a node that remembers a newer version, or another cluster's id, refuses such a state instead of acting on it.
/// </summary>
/// <param name="path">The file.</param>
public sealed class StateLineage(string path)
{
    /// <summary>The file beside <paramref name="dataDirectory"/>.</summary>
    public static StateLineage Beside(string dataDirectory) => new(dataDirectory.TrimEnd('/') + ".appliance-lineage");

    /// <summary>The file's path.</summary>
    public string Path { get; } = path;

    /// <summary>What the file holds: the newest version seen and the cluster id, or null when the node has seen none.</summary>
    /// <exception cref="InvalidDataException">The file is not a lineage; the message names it.</exception>
    public Seen? Load()
    {
        return DurableFile.ReadJson<Seen>(Path, "a state lineage");
    }

    /// <summary>Records <paramref name="seen"/> durably (temporary file, fsync, rename).</summary>
    public async Task SaveAsync(Seen seen, CancellationToken ct)
    {
        await DurableFile.WriteJsonAsync(Path, seen, ct).ConfigureAwait(false);
    }

    /// <summary>Why a node that has seen <paramref name="seen"/> must refuse <paramref name="state"/>, or null if it may adopt it.</summary>
    public static string? Refusal(Seen? seen, ClusterState state)
    {
        if (seen is null) return null;
        if (seen.ClusterId is { } mine && state.ClusterId is { } theirs && mine != theirs)
            return $"the state (v{state.Version}) belongs to cluster {theirs}, but this node's data belongs to cluster {mine}: " +
                   "the node points at another cluster's state store; fix --state-store, or move the data directory away if it is not wanted";
        if (state.Version < seen.Version)
            return $"the state is v{state.Version}, but this node has already played v{seen.Version.ToString(CultureInfo.InvariantCulture)}: " +
                   "the state store is older than the cluster (restored from a backup, or not shared by every node); restore the newest store";
        return null;
    }

    /// <summary>The newest state version a node played, and its cluster.</summary>
    /// <param name="Version">The version.</param>
    /// <param name="ClusterId">The cluster id of that state; null for a state written before ids were recorded.</param>
    public sealed record Seen(long Version, string? ClusterId);
}
