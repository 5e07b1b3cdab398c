using Akka.Actor;

namespace Appliance.Actors.Formation;

/// <summary>What <see cref="FormationRule"/> tells a node that is not yet a member to do.</summary>
public abstract record FormationDecision
{
    /// <summary>A sentence for the node's log.</summary>
    public abstract string Reason { get; }
}

/// <summary>Join the cluster that <paramref name="Via"/> is a member of, by sending it a join.</summary>
/// <param name="Via">A member that answered, so it is reachable now.</param>
/// <param name="Reason">Why.</param>
internal sealed record JoinExisting(Address Via, string Reason) : FormationDecision
{
    /// <inheritdoc />
    public override string Reason { get; } = Reason;
}

/// <summary>Form a new cluster: join itself.</summary>
/// <param name="Reason">Why it is this node's turn.</param>
internal sealed record FormNew(string Reason) : FormationDecision
{
    /// <inheritdoc />
    public override string Reason { get; } = Reason;
}

/// <summary>Neither yet: probe again.</summary>
/// <param name="Reason">What the node is waiting for.</param>
internal sealed record KeepProbing(string Reason) : FormationDecision
{
    /// <inheritdoc />
    public override string Reason { get; } = Reason;
}
