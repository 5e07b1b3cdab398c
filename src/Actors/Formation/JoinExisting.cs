using Akka.Actor;

namespace Appliance.Actors.Formation;

/// <summary>Join the cluster that <paramref name="Via"/> is a member of, by sending it a join.</summary>
/// <param name="Via">A member that answered, so it is reachable now.</param>
/// <param name="Reason">Why.</param>
internal sealed record JoinExisting(Address Via, string Reason) : FormationDecision
{
    /// <inheritdoc />
    public override string Reason { get; } = Reason;
}
