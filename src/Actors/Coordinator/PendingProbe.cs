using Appliance.Nodes.State;

namespace Appliance.Actors.Coordinator;

/// <summary>A fence asked for: the probe id its answer must echo, and the question.</summary>
internal sealed record PendingProbe(long ProbeId, PositionProbe Probe);
