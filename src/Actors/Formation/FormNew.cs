namespace Appliance.Actors.Formation;

/// <summary>Form a new cluster: join itself.</summary>
/// <param name="Reason">Why it is this node's turn.</param>
internal sealed record FormNew(string Reason) : FormationDecision
{
    /// <inheritdoc />
    public override string Reason { get; } = Reason;
}
