namespace Appliance.Host.Node;

/// <summary>The coordinator or the node actor did not answer in time; the message says which and what to try.</summary>
public sealed class ClusterUnavailableException(string message) : Exception(message);
