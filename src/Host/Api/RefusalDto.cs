namespace Appliance.Host.Api;

/// <summary>Why the coordinator is not changing the state although something is wrong.</summary>
/// <param name="Reason">The rule's reason.</param>
/// <param name="Detail">A sentence for operators.</param>
public sealed record RefusalDto(string Reason, string Detail);
