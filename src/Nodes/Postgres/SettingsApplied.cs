namespace Appliance.Nodes.Postgres;

/// <summary>The outcome of writing the cluster settings (and reloading a running server).</summary>
/// <param name="Changed">True if the file changed.</param>
/// <param name="PendingRestart">Settings the running server holds a different value of until it restarts
/// (<c>pg_settings.pending_restart</c>); empty when it does not run.</param>
public sealed record SettingsApplied(bool Changed, IReadOnlyList<string> PendingRestart);
