using Appliance.Actors.Node;

namespace Appliance.Host.Node;

/// <summary>Registry key of this process's <see cref="DatabaseNodeActor"/>.</summary>
public sealed class DatabaseNodeKey;
