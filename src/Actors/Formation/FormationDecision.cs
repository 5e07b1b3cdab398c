namespace Appliance.Actors.Formation;

/// <summary>What <see cref="FormationRule"/> tells a node that is not yet a member to do.</summary>
public abstract record FormationDecision
{
    /// <summary>A sentence for the node's log.</summary>
    public abstract string Reason { get; }
}
