namespace Appliance.Nodes.State;

/// <summary>The part a peer plays in a cluster state.</summary>
public enum PeerRole
{
    /// <summary>Named nowhere in the state: PostgreSQL stays stopped until the peer is given a role.</summary>
    Unassigned,

    /// <summary>Serves reads and writes; replicates synchronously to the sync.</summary>
    Primary,

    /// <summary>The one synchronous standby of the primary, and the head of the async chain.</summary>
    Sync,

    /// <summary>A link in the daisy chain of asynchronous standbys below the sync.</summary>
    Async,

    /// <summary>A former primary whose WAL may have diverged: it never serves again until rewound or rebuilt.</summary>
    Deposed,

    /// <summary>
    /// Put in maintenance by an operator: out of the chain, treated as gone by the rules, and its node neither starts
    /// nor stops PostgreSQL until maintenance is off.
    /// </summary>
    Maintenance,
}
