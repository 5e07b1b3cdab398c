using Appliance.Actors.Protocol;
using Appliance.Nodes.State;

namespace Appliance.Actors.Coordinator;

/// <summary>
/// What the coordinator saves every <see cref="CoordinatorSettings.SnapshotEvery"/> events: the state alone. History is
/// not in it; it stays in the journal (events are never deleted) and <c>GetHistory</c> reads it from there.
/// </summary>
/// <param name="State">The state at the snapshot's sequence number (equal to its version).</param>
internal sealed record CoordinatorSnapshot(ClusterState State) : IApplianceMessage;
