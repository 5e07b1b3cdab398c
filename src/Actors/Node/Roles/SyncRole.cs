namespace Appliance.Actors.Node.Roles;

/// <summary>The sync: streams from the primary, which waits for it on every commit.</summary>
internal sealed class SyncRole(RoleContext context) : StandbyRole(context)
{
    /// <summary>Props for <paramref name="context"/>.</summary>
    public static Akka.Actor.Props Props(RoleContext context) => Akka.Actor.Props.Create(() => new SyncRole(context));
}
