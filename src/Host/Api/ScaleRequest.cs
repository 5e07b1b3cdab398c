namespace Appliance.Host.Api;

/// <summary>Body of <c>POST /scale</c>.</summary>
/// <param name="Instances">The new number of instances.</param>
/// <param name="Force">Go below the minimum (3, or 1 in singleton mode).</param>
/// <param name="Generation">The generation the operator saw, if the command is bound to one.</param>
public sealed record ScaleRequest(int? Instances, bool? Force, long? Generation);
