using Akka.Actor;
using Akka.Cluster;

namespace Appliance.Actors.Formation;

/// <summary>What a seed answered a probe with.</summary>
/// <param name="Members">The members of the cluster it is in (itself included), empty if it is not a member of any.</param>
/// <param name="Vote">
/// The one seed it names to form the cluster, or null if it names none (it sees a cluster, or it is pausing between two
/// candidates, or it runs a version that does not vote).
/// </param>
/// <param name="Incarnations">
/// Every member its cluster still holds, in any status (downed and exiting ones too, until they are removed), with the
/// incarnation's uid; empty if it is not a member, or runs a version that does not say.
/// </param>
public sealed record SeedAnswer(IReadOnlyList<Address> Members, Address? Vote, IReadOnlyList<UniqueAddress> Incarnations)
{
    /// <summary>An answer that does not list incarnations (a seed of an older version, or one that is not a member).</summary>
    public SeedAnswer(IReadOnlyList<Address> Members, Address? Vote) : this(Members, Vote, []) { }

    /// <summary>The answer of a node that is not a member and names no one.</summary>
    public static SeedAnswer None { get; } = new([], null);
}
