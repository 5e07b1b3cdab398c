namespace Appliance.Nodes.Postgres;

/// <summary>Settings of <c>appliance.conf</c> that PostgreSQL reads only at start.</summary>
/// <param name="ListenAddress">listen_addresses.</param>
/// <param name="Port">port.</param>
/// <param name="ClusterName">cluster_name, which shows in process titles.</param>
/// <param name="MaxWalSenders">max_wal_senders.</param>
/// <param name="Tls">ssl and its files; null: ssl off.</param>
/// <param name="ArchiveCommand">archive_command, with archive_mode on; null: archive_mode off.</param>
/// <remarks>shared_buffers and max_connections are cluster settings (<see cref="ClusterSettingsFile"/>), no longer here.</remarks>
public sealed record ServerParameters(string ListenAddress, int Port, string ClusterName, int MaxWalSenders, PostgresTls? Tls = null,
    string? ArchiveCommand = null);
