namespace Appliance.Nodes.State;

/// <summary>The state is as it should be, or as it can be for now.</summary>
/// <param name="Deferred">
/// When a planned change (one no fault calls for) is wanted but waits: which change, and what it waits for. The
/// coordinator logs it when it changes, so that an operator can see why, say, the primary stays on its host.
/// </param>
public sealed record NoChange(string? Deferred = null) : Decision;
