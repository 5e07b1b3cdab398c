using Appliance.Nodes.State;

namespace Appliance.Nodes.Postgres;

/// <summary>The upstream could not be reached or refused the connection.</summary>
public sealed class UpstreamUnreachableException(PeerId upstream, string reason, Exception? inner = null)
    : PostgresDriverException($"Upstream {upstream} cannot be reached: {reason}. Check that it runs, that its " +
                              "pg_hba.conf admits this host, and that the passwords match; nothing local was changed.", inner)
{
    /// <summary>The upstream.</summary>
    public PeerId Upstream { get; } = upstream;
}
