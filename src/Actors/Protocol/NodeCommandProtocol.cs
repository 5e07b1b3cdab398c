namespace Appliance.Actors.Protocol;

/// <summary>
/// Operator work on one node's PostgreSQL (reload, restart), sent by any node's API over distributed pub-sub: every
/// node actor subscribes to <see cref="Topic"/> and acts only on commands that name its own peer, answering the sender.
/// </summary>
public static class NodeCommandProtocol
{
    /// <summary>The pub-sub topic the node actors subscribe to.</summary>
    public const string Topic = "appliance.node-commands";

    /// <summary>What to do.</summary>
    public enum Action
    {
        /// <summary>Reload the configuration (SIGHUP) and wait until it is in force.</summary>
        Reload,

        /// <summary>Restart PostgreSQL in its role (never a primary with a sync: that restarts through a switchover).</summary>
        Restart,

        /// <summary>As <see cref="Restart"/>, but only if a setting waits for a restart (<c>pg_settings.pending_restart</c>).</summary>
        RestartIfPending,
    }

    /// <summary>Asks the node of <paramref name="PeerId"/> to act on its PostgreSQL.</summary>
    /// <param name="PeerId">The peer whose node acts; every other node ignores the command.</param>
    /// <param name="Action">What to do.</param>
    public sealed record Command(string PeerId, Action Action) : IApplianceMessage;

    /// <summary>The answer to <see cref="Command"/>.</summary>
    /// <param name="PeerId">The peer that acted.</param>
    /// <param name="Done">True if it reloaded or restarted; false if it skipped or failed (<paramref name="Detail"/> says which).</param>
    /// <param name="Detail">A sentence for operators.</param>
    public sealed record Outcome(string PeerId, bool Done, string Detail) : IApplianceMessage;
}
