namespace Appliance.Actors.Node.Roles;

/// <summary>An async: streams from the link above it in the chain.</summary>
internal sealed class AsyncRole(RoleContext context) : StandbyRole(context)
{
    /// <summary>Props for <paramref name="context"/>.</summary>
    public static Akka.Actor.Props Props(RoleContext context) => Akka.Actor.Props.Create(() => new AsyncRole(context));
}
