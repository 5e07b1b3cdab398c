using Appliance.Nodes.Backup;

namespace Appliance.Host.Api;

/// <summary><c>GET /backups</c>: the repository's backups and archived WAL.</summary>
/// <param name="Stanza">The stanza (the cluster's name).</param>
/// <param name="Status">pgBackRest's status (<c>ok</c>, <c>no valid backups</c>…).</param>
/// <param name="WalMin">The oldest archived WAL segment.</param>
/// <param name="WalMax">The newest archived WAL segment.</param>
/// <param name="Backups">Oldest first.</param>
/// <param name="RunningPercent">The share of a running backup copied so far.</param>
public sealed record BackupsDto(string Stanza, string Status, string? WalMin, string? WalMax, IReadOnlyList<BackupEntry> Backups, double? RunningPercent)
{
    /// <summary>The DTO of a catalog.</summary>
    public static BackupsDto From(BackupCatalog c) => new(c.Stanza, c.Status, c.WalMin, c.WalMax, c.Backups, c.Running);
}
