namespace Appliance.Host.Node;

/// <summary>A node option that is missing or malformed; the message names it and says what to do.</summary>
public sealed class NodeConfigurationException(string message) : Exception(message);
