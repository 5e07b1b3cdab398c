namespace Appliance.Nodes.State;

/// <summary>What happens to a deposed primary once it is back.</summary>
public enum RejoinPolicy
{
    /// <summary>The peer rewinds (or re-clones) itself and the coordinator adds it to the async tail.</summary>
    Auto,

    /// <summary>Manatee's behaviour: the peer stays deposed until an operator runs <c>rebuild</c>.</summary>
    Manual,
}
