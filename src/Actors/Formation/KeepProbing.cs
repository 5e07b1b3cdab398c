namespace Appliance.Actors.Formation;

/// <summary>Neither yet: probe again.</summary>
/// <param name="Reason">What the node is waiting for.</param>
internal sealed record KeepProbing(string Reason) : FormationDecision
{
    /// <inheritdoc />
    public override string Reason { get; } = Reason;
}
