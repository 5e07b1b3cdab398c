using Appliance.Nodes.State;

namespace Appliance.Nodes.Postgres;

/// <summary>The sync did not catch up: it is absent, or its flush position stopped advancing. The primary stays read-only.</summary>
internal sealed class SyncNotCaughtUpException(PeerId sync, TimeSpan progressTimeout, string what)
    : PostgresDriverException($"Sync {sync} {what} for {progressTimeout.TotalSeconds:0.#} s; the primary stays read-only. " +
                              "Check the sync's log and its connection to the primary, or pick another sync.")
{
    /// <summary>The sync.</summary>
    public PeerId Sync { get; } = sync;
}
