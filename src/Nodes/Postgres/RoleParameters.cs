namespace Appliance.Nodes.Postgres;

/// <summary>Settings of <c>appliance.conf</c> that a reload applies.</summary>
/// <param name="SyncStandbyName">The one standby named in synchronous_standby_names; empty only for a singleton primary.</param>
/// <param name="ReadOnly">default_transaction_read_only.</param>
/// <param name="PrimaryConnInfo">primary_conninfo of a standby; null on a primary.</param>
/// <param name="WalKeepSize">wal_keep_size.</param>
/// <param name="RestoreCommand">restore_command of a standby leader that follows an archive (<c>--standby-from-repo</c>);
/// null everywhere else: the cluster's standbys stream and never read the archive.</param>
public sealed record RoleParameters(string SyncStandbyName, bool ReadOnly, ConnInfo? PrimaryConnInfo, string WalKeepSize, string? RestoreCommand = null)
{
    /// <summary>Whether this is a standby's: it streams from an upstream or replays an archive.</summary>
    public bool IsStandby => PrimaryConnInfo is not null || RestoreCommand is not null;

    /// <summary>The value of synchronous_standby_names: the name double-quoted, so any id is taken literally.</summary>
    public string SynchronousStandbyNames => SyncStandbyName.Length == 0 ? "" : $"FIRST 1 (\"{SyncStandbyName}\")";
}
