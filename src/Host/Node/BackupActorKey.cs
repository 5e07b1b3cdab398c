namespace Appliance.Host.Node;

/// <summary>Registry key of this node's backup actor (with <c>--backup-repo</c>).</summary>
public sealed class BackupActorKey;
