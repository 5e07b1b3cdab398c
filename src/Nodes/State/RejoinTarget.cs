namespace Appliance.Nodes.State;

/// <summary>The primary, generation and timeline a deposed peer was rewound onto.</summary>
/// <param name="Primary">The primary it now follows.</param>
/// <param name="Generation">The generation of the state that named that primary when the rewind finished.</param>
/// <param name="Timeline">The primary's timeline it was rewound onto.</param>
public sealed record RejoinTarget(string Primary, long Generation, int Timeline);
