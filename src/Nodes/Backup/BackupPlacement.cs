using Appliance.Nodes.State;

namespace Appliance.Nodes.Backup;

/// <summary>Where a backup runs, and why: the node of <paramref name="Runner"/> runs pgBackRest.</summary>
/// <param name="Runner">The peer whose node runs the backup; null when the request is refused.</param>
/// <param name="FromStandby">True if the files are read from <paramref name="Runner"/>, a standby (pgBackRest's <c>--backup-standby</c>).</param>
/// <param name="Reason">A sentence for the operator: why this peer, or why the request is refused.</param>
public sealed record BackupPlacement(PeerId? Runner, bool FromStandby, string Reason);
