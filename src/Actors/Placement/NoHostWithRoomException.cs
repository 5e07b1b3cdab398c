namespace Appliance.Actors.Placement;

/// <summary>A shard (instance) could not be placed now; the shard coordinator retries when the region asks again.</summary>
internal sealed class NoHostWithRoomException(string message) : Exception(message);
