using Appliance.Nodes.Backup;

namespace Appliance.Actors.Protocol;

/// <summary>
/// Backups, asked of the primary's node by any node's API over distributed pub-sub: every node's backup actor
/// subscribes to <see cref="Topic"/> and answers only what names its own peer (as <see cref="NodeCommandProtocol"/> does).
/// </summary>
public static class BackupProtocol
{
    /// <summary>The pub-sub topic the backup actors subscribe to.</summary>
    public const string Topic = "appliance.backups";

    /// <summary>Asks the node of <paramref name="PeerId"/> to start a backup; it answers with <see cref="Progress"/>.</summary>
    /// <param name="PeerId">The peer whose node backs up (the primary).</param>
    /// <param name="Type">full, diff or incr.</param>
    public sealed record Start(string PeerId, string Type) : IApplianceMessage;

    /// <summary>Asks the node of <paramref name="PeerId"/> how its running or last backup goes.</summary>
    /// <param name="PeerId">The peer asked.</param>
    public sealed record GetProgress(string PeerId) : IApplianceMessage;

    /// <summary>A backup's state.</summary>
    /// <param name="PeerId">The peer whose node runs it.</param>
    /// <param name="Run">Which run this is (a new id for every backup started); null when refused or when none ran.</param>
    /// <param name="State"><c>running</c>, <c>succeeded</c>, <c>failed</c>, <c>refused</c> or <c>idle</c>.</param>
    /// <param name="Percent">How much is copied (0–100), once pgBackRest says.</param>
    /// <param name="Detail">A sentence for operators: the last step, the error, or why it was refused.</param>
    public sealed record Progress(string PeerId, string? Run, string State, double? Percent, string Detail) : IApplianceMessage;

    /// <summary>
    /// The state of the cluster's backups, published on <see cref="Topic"/> by the node that takes them whenever it
    /// changes and at every schedule check, so that every node's <c>/status</c>, <c>/cluster</c> and <c>/metrics</c>
    /// can show it without asking across the cluster.
    /// </summary>
    /// <param name="PeerId">The peer whose node takes the backups.</param>
    /// <param name="Status">What it knows.</param>
    public sealed record Report(string PeerId, BackupStatus Status) : IApplianceMessage;

    /// <summary>Asks this node's backup actor for the newest <see cref="Report"/> it holds; local, never sent to another node.</summary>
    public sealed record GetReport
    {
        /// <summary>The message.</summary>
        public static readonly GetReport Instance = new();
    }

    /// <summary>The answer to <see cref="GetReport"/>; local.</summary>
    /// <param name="Latest">The newest report; null before any node reported.</param>
    public sealed record Reported(Report? Latest);

    /// <summary>
    /// Asks the node of <paramref name="PeerId"/> (the primary) where its pgBackRest server listens, for a backup from
    /// a standby; it answers with <see cref="Server"/>. The cluster state carries the primary's address and PostgreSQL
    /// port but not its data directory or its server's port, which only its node knows.
    /// </summary>
    /// <param name="PeerId">The peer asked.</param>
    public sealed record GetServer(string PeerId) : IApplianceMessage;

    /// <summary>Where a node's pgBackRest server listens and what it serves.</summary>
    /// <param name="PeerId">The answering peer.</param>
    /// <param name="Host">The name to dial, one its certificate names (pgBackRest 2.45 matches no IP address); null with <paramref name="Problem"/>.</param>
    /// <param name="DataDirectory">Its PostgreSQL data directory.</param>
    /// <param name="Port">The server's port; null when it does not run (<paramref name="Problem"/> says why).</param>
    /// <param name="Problem">Why the server does not serve; null when it does.</param>
    public sealed record Server(string PeerId, string? Host, string DataDirectory, int? Port, string? Problem) : IApplianceMessage;
}
