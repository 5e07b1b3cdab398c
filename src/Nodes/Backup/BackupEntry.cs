namespace Appliance.Nodes.Backup;

/// <summary>One backup in the repository, as <c>pgbackrest info</c> describes it.</summary>
/// <param name="Label">pgBackRest's label, such as <c>20261206-101500F</c>.</param>
/// <param name="Type">full, diff or incr.</param>
/// <param name="Start">When it started.</param>
/// <param name="Stop">When it stopped.</param>
/// <param name="WalStart">The first WAL segment a restore of it needs.</param>
/// <param name="WalStop">The last WAL segment it needs to be consistent.</param>
/// <param name="LsnStart">Its start position.</param>
/// <param name="LsnStop">Its stop position.</param>
/// <param name="Size">The database's size in bytes.</param>
/// <param name="RepositorySize">What it takes in the repository (compressed), in bytes.</param>
/// <param name="Prior">The backup a diff or incr builds on; null for a full one.</param>
/// <param name="Error">True if pgBackRest found page checksum errors while copying.</param>
/// <param name="SystemId">The system identifier of the database it was taken of (the stanza's <c>db</c> entry it names);
/// null when pgBackRest's output does not say.</param>
public sealed record BackupEntry(string Label, string Type, DateTimeOffset Start, DateTimeOffset Stop, string? WalStart, string? WalStop,
    string? LsnStart, string? LsnStop, long Size, long RepositorySize, string? Prior, bool Error, ulong? SystemId = null)
{
    /// <summary>
    /// Whether pgBackRest would restore this backup for a time target of <paramref name="target"/>: it compares in
    /// whole seconds, and a backup whose stop falls in the target's second does not count (its restore then fails with
    /// "unable to find backup set with stop time less than …").
    /// </summary>
    public bool EndedBefore(DateTimeOffset target) => Stop.ToUnixTimeSeconds() < target.ToUnixTimeSeconds();
}
