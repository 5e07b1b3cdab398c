namespace Appliance.Host.Api;

/// <summary>One node's answer to a reload or a restart step.</summary>
/// <param name="Peer">The peer.</param>
/// <param name="Step">What happened: reloaded, skipped, restarting, restarted, switchover, failed; or done (the last line).</param>
/// <param name="Ok">False when the step failed (the roll stops there).</param>
/// <param name="Detail">A sentence for operators.</param>
public sealed record NodeStepDto(string Peer, string Step, bool Ok, string Detail);
