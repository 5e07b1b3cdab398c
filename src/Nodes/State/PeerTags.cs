namespace Appliance.Nodes.State;

/// <summary>What a node's <c>--tag</c> flags ask of the cluster; they travel in its reports.</summary>
[Flags]
public enum PeerTags
{
    /// <summary>No tags.</summary>
    None = 0,

    /// <summary>Never the sync, never the primary: the rules skip the peer as a candidate. As an async it still replicates.</summary>
    NoFailover = 1,

    /// <summary>Not for read traffic: <c>GET /replica</c> answers 503.</summary>
    NoLoadBalance = 2,
}
