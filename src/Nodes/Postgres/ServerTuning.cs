namespace Appliance.Nodes.Postgres;

/// <summary>Server settings that need a restart to change.</summary>
/// <param name="SharedBuffers">shared_buffers, e.g. <c>128MB</c>.</param>
/// <param name="MaxConnections">max_connections.</param>
/// <param name="MaxWalSenders">max_wal_senders: one per downstream, plus clones and rewinds in progress.</param>
/// <param name="WalKeepSize">wal_keep_size (reloadable), e.g. <c>1GB</c>: how far a re-pointed standby may lag and still catch up.</param>
public sealed record ServerTuning(string SharedBuffers, int MaxConnections, int MaxWalSenders, string WalKeepSize)
{
    /// <summary>Production defaults.</summary>
    public static readonly ServerTuning Default = new("128MB", 100, 10, "1GB");
}
