namespace Appliance.Actors.Protocol;

/// <summary>
/// How database nodes decide, before any of them is a member, who forms the cluster and whom to join. Every node's
/// <c>FormationActor</c> sends <see cref="Probe"/> to the formation actor of every listed seed
/// (<c>--seed-nodes</c>) over Akka remoting, which is mutually authenticated when TLS is on, and answers probes for
/// as long as it runs.
/// </summary>
public static class FormationProtocol
{
    /// <summary>The name of the formation actor under <c>/user</c> on every database node.</summary>
    public const string ActorName = "formation";

    /// <summary>Asks a node whether it is a member of a cluster; it answers <see cref="Answer"/>.</summary>
    public sealed record Probe : IApplianceMessage
    {
        /// <summary>The one instance.</summary>
        public static readonly Probe Instance = new();
    }

    /// <summary>What a node knows of its own membership, and whom it names to form the cluster.</summary>
    /// <param name="Address">The node's Akka address (<c>akka.tcp://system@host:port</c>).</param>
    /// <param name="Members">
    /// The members of the cluster it is in (joining, up or leaving; itself included), or empty if it is not a member of
    /// any cluster yet.
    /// </param>
    /// <param name="Vote">
    /// The address of the one seed it names to form the cluster (<c>FormationRule</c>), or null if it names
    /// none. Added after the first version of this message: an older node sends none and so never counts towards forming.
    /// </param>
    /// <param name="Incarnations">
    /// Every member its cluster still holds, in any status (downed and exiting ones too, until they are removed), as
    /// <c>ADDRESS#UID</c>; null or empty if it is not a member. Added after votes: a node restarted on the same address
    /// waits until no member holds its previous incarnation (<c>FormationRule</c>), and an older node's
    /// answer, which has none, is joined at once as before.
    /// </param>
    public sealed record Answer(string Address, IReadOnlyList<string> Members, string? Vote = null, IReadOnlyList<string>? Incarnations = null)
        : IApplianceMessage;
}
