using System.Globalization;

namespace Appliance.Nodes.Postgres;

/// <summary>
/// Remembers, across failed attempts and restarts, that a former primary is being put back onto its successor's
/// history, and which timeline it was on before. Without it, an attempt that rewound the data but then failed to start
/// (a standby that did not become consistent in time) would leave <c>standby.signal</c> behind, and the next attempt
/// would take the instance for an ordinary standby and follow without rewinding. The file sits beside the data
/// directory, not in it, because <c>pg_rewind</c> removes files the source does not have.
/// </summary>
/// <param name="Path">The marker file: the data directory's path with <c>.rejoin-pending</c> appended.</param>
internal sealed record RejoinMarker(string Path)
{
    /// <summary>The marker of <paramref name="dataDirectory"/>.</summary>
    public static RejoinMarker For(DataDirectory dataDirectory) => new(dataDirectory.Path.TrimEnd('/') + ".rejoin-pending");

    /// <summary>Whether a rejoin was begun and has not finished.</summary>
    public bool IsPending => File.Exists(Path);

    /// <summary>The timeline the instance was on as a primary, or null when no rejoin is pending.</summary>
    public int? FormerTimeline =>
        IsPending && int.TryParse(File.ReadAllText(Path).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var timeline)
            ? timeline
            : null;

    /// <summary>Records that a rejoin from <paramref name="formerTimeline"/> has begun.</summary>
    public Task BeginAsync(int formerTimeline, CancellationToken ct) =>
        File.WriteAllTextAsync(Path, formerTimeline.ToString(CultureInfo.InvariantCulture) + "\n", ct);

    /// <summary>Records that the instance runs as a standby on its new history.</summary>
    public void Complete() => File.Delete(Path);
}
