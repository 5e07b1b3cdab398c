namespace Appliance.Actors.Protocol;

/// <summary>
/// Marks every message that crosses the network or is persisted. They are all bound to the appliance's own
/// serializer, so none of them falls back to Akka's default JSON or Hyperion (DESIGN §5).
/// </summary>
public interface IApplianceMessage;
