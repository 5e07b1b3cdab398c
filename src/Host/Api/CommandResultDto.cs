namespace Appliance.Host.Api;

/// <summary>The answer to a mutating request.</summary>
/// <param name="Accepted">True if applied.</param>
/// <param name="Reason">The transition or refusal reason.</param>
/// <param name="Detail">A sentence for the operator.</param>
/// <param name="State">The state written, when accepted.</param>
public sealed record CommandResultDto(bool Accepted, string Reason, string Detail, StateDto? State);
